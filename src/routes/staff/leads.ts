import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { staleWhileRevalidate } from '../../lib/cache.js';
import { HttpError } from '../../lib/errors.js';
import { addWorkingDays, chinaDate } from '../../calendar/work-calendar.js';
import { countByStatus, decodeCursor, encodeCursor, findQueuePage, listAssignable, type QueueFilters } from '../../leads/repository.js';
import { DUE_SOON_WORKING_DAYS } from '../../leads/deadlines.js';
import { assignSchema, CHANNELS, leadIdSchema, noteSchema, prioritySchema, queueQuerySchema, statusChangeSchema, STATUSES } from '../../leads/schema.js';
import { CATEGORIES } from '../../reports/schema.js';
import { addNote, assignLead, changeStatus, setPriority, viewLead } from '../../leads/service.js';
import { fieldErrors } from '../../lib/validation.js';
import type { Campaign, Locale } from '../../campaign/schema.js';
import type { Translate } from '../../i18n/index.js';
import type { StaffContext } from './context.js';
import { renderLead } from './lead-page.js';

type QueuePage = Awaited<ReturnType<typeof findQueuePage>>;

const COUNTS_TTL_MS = 30_000;

export default async function leadRoutes(app: FastifyInstance, ctx: StaffContext) {
  // Counting every lead costs a scan (350 ms at a million): the counts above the queue may be up to
  // 30 s old (as on the dashboard), and are refreshed while the old ones are shown.
  const statusCounts = staleWhileRevalidate(COUNTS_TTL_MS, () => countByStatus(ctx.db));
  // Only the filter's list of names: assigning a lead checks the current list.
  const assignableStaff = staleWhileRevalidate(COUNTS_TTL_MS, () => listAssignable(ctx.db));

  app.get('/leads', async (request, reply) => {
    const q = queueQuerySchema.parse(request.query);
    const today = chinaDate(new Date());
    const filters: QueueFilters = {
      status: q.status,
      category: q.category,
      village: q.village,
      channel: q.channel,
      assignee: q.assignee === 'me' ? request.staff!.userId : q.assignee,
      overdueBefore: q.overdue ? today : undefined,
      dueBy: q.soon ? addWorkingDays(ctx.rules.calendar, today, DUE_SOON_WORKING_DAYS) : undefined,
      receivedFrom: q.from ? new Date(`${q.from}T00:00:00+08:00`) : undefined,
      receivedTo: q.to ? new Date(Date.parse(`${q.to}T00:00:00+08:00`) + 86_400_000) : undefined,
      text: q.q,
      householdFlagged: q.flagged === '1',
    };
    const cursor = q.after ? decodeCursor(q.after) : null;
    const [page, byStatus, assignable] = await Promise.all([findQueuePage(ctx.db, filters, cursor), statusCounts(), assignableStaff()]);
    const query = new URLSearchParams(Object.entries(q).filter(([k, v]) => k !== 'after' && v !== undefined) as [string, string][]);
    if (page.next) query.set('after', encodeCursor(page.next));
    return reply.page('staff/leads', {
      title: request.t('staff.leads.title'),
      staff: request.staff,
      filters: q,
      rows: queueRows(page.rows, request, ctx.campaign, today),
      soonDays: DUE_SOON_WORKING_DAYS,
      overdueLabel: request.t('staff.leads.overdue'),
      nextHref: page.next ? `/staff/leads?${query}` : null,
      counts: STATUSES.map((s) => ({ status: s, n: byStatus[s] ?? 0, active: q.status === s })),
      statuses: STATUSES,
      assignable: assignable.map((a) => ({ ...a, selected: q.assignee === a.id })),
    });
  });

  app.get('/leads/:id', async (request, reply) => {
    const { id } = parseId(request.params);
    // Every opening of a lead is on the record.
    const lead = await viewLead(ctx.db, request.staff!, id);
    if (!lead) throw new HttpError(404);
    return renderLead(ctx, request, reply, lead);
  });

  function conflict(): never {
    throw new HttpError(409);
  }

  app.post('/leads/:id/status', async (request, reply) => {
    const { id } = parseId(request.params);
    const body = request.body as Record<string, unknown>;
    const parsed = statusChangeSchema.safeParse(body);
    if (!parsed.success) return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t), body);
    const { version, ...input } = parsed.data;
    const result = await changeStatus(ctx.db, ctx.rules, request.staff!.userId, id, version, input);
    if (!result.ok && result.stale) conflict();
    if (!result.ok) {
      const error = { field: result.problem.field, code: result.problem.key.slice(7), message: request.t(result.problem.key) };
      return renderLead(ctx, request, reply.code(result.problem.field === 'to' ? 409 : 400), id, [error], body);
    }
    return reply.redirect(`/staff/leads/${id}`, 303);
  });

  const simple = <S extends z.ZodType>(path: string, schema: S, apply: (actor: string, id: string, data: z.output<S>) => Promise<boolean | void>) =>
    app.post(`/leads/:id/${path}`, async (request, reply) => {
      const { id } = parseId(request.params);
      const parsed = schema.safeParse(request.body);
      if (!parsed.success) return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t), request.body as object);
      if ((await apply(request.staff!.userId, id, parsed.data)) === false) conflict();
      return reply.redirect(`/staff/leads/${id}`, 303);
    });

  simple('assign', assignSchema, async (actor, id, d) => {
    const assignee = d.assignee === 'none' ? null : d.assignee;
    if (assignee && !(await listAssignable(ctx.db)).some((a) => a.id === assignee)) throw new HttpError(400);
    return assignLead(ctx.db, actor, id, d.version, assignee);
  });
  simple('priority', prioritySchema, (actor, id, d) => setPriority(ctx.db, actor, id, d.version, d.priority));
  simple('note', noteSchema, (actor, id, d) => addNote(ctx.db, actor, id, d.note));
}

/**
 * The queue's rows as the template shows them, labels in the page's language. Each label is looked
 * up once per page rather than by a template helper in each of the 50 rows × 5 cells: rendering was
 * most of a queue page's cost (docs/PERFORMANCE.md).
 */
export function queueRows(rows: QueuePage['rows'], { t, locale }: { t: Translate; locale: Locale }, campaign: Campaign, today: string) {
  const labels = (ids: readonly string[], key: (id: string) => string) => new Map(ids.map((id) => [id, t(key(id))]));
  const status = labels(STATUSES, (s) => `statuses.${s}.label`);
  const category = labels(CATEGORIES, (c) => `category.${c}.name`);
  const channel = labels(CHANNELS, (c) => `channels.${c}`);
  const attention = labels(['1', '2'], (a) => `staff.leads.attention.${a}`);
  const village = new Map(campaign.villages.map((v) => [v.id, v.name[locale]]));
  const otherVillage = t('report.village.other');
  return rows.map((r) => ({
    id: r.id,
    priority: r.priority,
    attention: r.attention,
    attentionLabel: r.attention ? attention.get(String(r.attention)) : null,
    due_on: r.due_on,
    overdue: r.due_on !== null && r.due_on < today,
    statusLabel: status.get(r.status),
    categoryLabel: category.get(r.category),
    villageLabel: r.village === null ? '—' : (village.get(r.village) ?? otherVillage),
    channelLabel: channel.get(r.channel),
    assignee: r.assignee,
    excerpt: r.excerpt,
  }));
}

export function parseId(params: unknown) {
  const parsed = leadIdSchema.safeParse(params);
  if (!parsed.success) throw new HttpError(404);
  return parsed.data;
}
