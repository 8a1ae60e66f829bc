import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { findLinkedHouseholds } from '../../households/repository.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import { findLead, findPublicUpdates, findRelated, findTimeline, listAssignable } from '../../leads/repository.js';
import { OUTCOMES, TRANSITIONS } from '../../leads/workflow.js';
import { findLeadThread } from '../../messages/repository.js';
import { mayOnLead } from '../../staff/access.js';
import type { FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { attachmentsView } from './lead-attachments.js';
import { leadProblemsView } from './lead-problems.js';

/** The conversation with the reporter(s), placed among the lead's events by date. */
function withMessages<E extends { at: Date }>(events: E[], thread: Awaited<ReturnType<typeof findLeadThread>>, leadId: string) {
  const messages = thread.map((m) => ({
    at: m.created_at,
    actor: m.asker,
    message: {
      kind: m.kind,
      body: m.body,
      // A duplicate merged into this lead has a reporter of its own, asked on its own page.
      fromReport: m.report_id === leadId ? null : m.report_id,
      awaiting: m.kind === 'question' && m.answered_at === null,
    },
  }));
  return [...events, ...messages].sort((a, b) => a.at.getTime() - b.at.getTime());
}

type Lead = NonNullable<Awaited<ReturnType<typeof findLead>>>;

/**
 * The lead page: every field, the timeline, related leads, and the actions the viewer may take.
 * `which` is the lead's id, or the lead already read (src/leads/service.ts viewLead).
 */
export async function renderLead(
  ctx: StaffContext,
  request: FastifyRequest,
  reply: FastifyReply,
  which: string | Lead,
  errors: FieldError[] = [],
  values: object = {},
  identity?: { name: string; phone: string },
) {
  const lead = typeof which === 'string' ? await findLead(ctx.db, which) : which;
  if (!lead) throw new HttpError(404);
  const id = lead.id;
  const [timeline, updates, assignable, related, thread] = await Promise.all([
    findTimeline(ctx.db, id),
    findPublicUpdates(ctx.db, id),
    listAssignable(ctx.db),
    findRelated(ctx.db, lead),
    findLeadThread(ctx.db, id),
  ]);
  const staff = request.staff!;
  const canHandle = staff.role === 'admin' || staff.role === 'investigator';
  return reply.page('staff/lead', {
    title: request.t('staff.lead.title', { id }),
    staff,
    lead: { ...lead, overdue: lead.due_on !== null && lead.due_on < chinaDate(new Date()) },
    timeline: withMessages(timeline, thread, id),
    updates,
    related,
    canHandle,
    // A transferred lead's reporter can no longer answer here.
    canAsk: canHandle && lead.status !== 'transferred',
    canReveal: lead.real_name && mayOnLead('identity', staff, lead.assignee_id),
    identity,
    files: await attachmentsView(ctx, staff, lead),
    problems: await leadProblemsView(ctx, staff, lead, values as Record<string, unknown>),
    households: (await findLinkedHouseholds(ctx.db, lead.id)).map((h) => ({ ...h, flags: h.flags ?? [] })),
    canLinkHouseholds: staff.role === 'admin' || staff.role === 'investigator',
    next: TRANSITIONS[lead.status],
    outcomes: OUTCOMES,
    assignable: assignable.map((a) => ({ ...a, selected: a.id === lead.assignee_id })),
    priorities: [1, 2, 3].map((p) => ({ value: p, selected: p === lead.priority })),
    errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
    errorList: errors,
    values,
  });
}
