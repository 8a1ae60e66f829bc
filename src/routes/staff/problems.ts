import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import { findHouseholdsOfRow, findLeadsOfRow, findNotes, findRow, findRows, progressByVillage } from '../../problems/repository.js';
import { linkExistingSchema, listQuerySchema, makeRowSchema, PROGRESS, progressSchema, rowIdSchema } from '../../problems/schema.js';
import { createRow, createRowFromLead, linkLeadToRow, recordProgress } from '../../problems/service.js';
import { CATEGORIES } from '../../reports/schema.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { renderLead } from './lead-page.js';
import { parseId } from './leads.js';

// Clerks type in the villages' self-check rows and file the monthly lists; they never see what a
// lead says, so lead links are shown to the other roles only. Viewers (the leadership) read. Who
// may use each route: src/staff/access.ts.

const today = () => chinaDate(new Date());

export default async function problemRoutes(app: FastifyInstance, ctx: StaffContext) {
  const villageIds = () => ctx.campaign.villages.map((v) => v.id);
  const rowSchema = () => makeRowSchema(villageIds());

  app.get('/problems', async (request, reply) => {
    const q = listQuerySchema.parse(request.query);
    const day = today();
    const [rows, summary] = await Promise.all([
      findRows(ctx.db, { village: q.village, category: q.category, progress: q.progress, overdueBefore: q.overdue ? day : undefined, source: q.source }),
      progressByVillage(ctx.db, day),
    ]);
    // Print and export from the start: the chosen village's list, or every village's.
    const exportQuery = `village=${encodeURIComponent(q.village ?? 'all')}`;
    return reply.page('staff/problems', {
      title: request.t('staff.problems.title'),
      staff: request.staff,
      filters: q,
      villages: ctx.campaign.villages.map((v) => ({ id: v.id, selected: v.id === q.village })),
      categories: CATEGORIES.map((c) => ({ id: c, selected: c === q.category })),
      progresses: PROGRESS.map((p) => ({ id: p, selected: p === q.progress })),
      sources: (['lead', 'self_check', 'register'] as const).map((id) => ({ id, selected: id === q.source })),
      rows: rows.map((r) => ({ ...r, overdue: r.progress !== 'done' && r.deadline < day })),
      overdueTotal: summary.reduce((a, s) => a + s.overdue, 0),
      exportQuery,
      canEdit: request.staff!.role !== 'viewer',
    });
  });

  function renderNew(reply: FastifyReply, values: Record<string, unknown>, errors: FieldError[] = []) {
    const request = reply.request;
    return reply.page('staff/problem-new', {
      title: request.t('staff.problems.new.title'),
      staff: request.staff,
      villages: ctx.campaign.villages.map((v) => ({ id: v.id, selected: v.id === values.village })),
      categories: CATEGORIES.map((c) => ({ id: c, selected: c === values.category })),
      values,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/problems/new', async (request, reply) => {
    const q = listQuerySchema.parse(request.query);
    return renderNew(reply, { village: q.village });
  });

  app.post('/problems', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = rowSchema().safeParse(body);
    if (!parsed.success) return renderNew(reply.code(400), body, fieldErrors(parsed.error, request.t));
    const id = await createRow(ctx.db, request.staff!.userId, parsed.data);
    return reply.redirect(`/staff/problems/${id}`, 303);
  });

  async function renderRow(reply: FastifyReply, id: string, errors: FieldError[] = [], values: Record<string, unknown> = {}) {
    const request = reply.request;
    const row = await findRow(ctx.db, id);
    if (!row) throw new HttpError(404);
    const role = request.staff!.role;
    const [notes, leads, households] = await Promise.all([
      findNotes(ctx.db, id), role === 'clerk' ? Promise.resolve([]) : findLeadsOfRow(ctx.db, id), findHouseholdsOfRow(ctx.db, id),
    ]);
    return reply.page('staff/problem', {
      title: request.t('staff.problems.row.title', { id }),
      staff: request.staff,
      row: { ...row, overdue: row.progress !== 'done' && row.deadline < today() },
      notes,
      leads,
      households,
      showLeads: role !== 'clerk',
      canEdit: role !== 'viewer',
      progresses: PROGRESS.map((p) => ({ id: p, selected: p === (values.progress ?? row.progress) })),
      values,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/problems/:id', async (request, reply) => renderRow(reply, rowId(request.params)));

  app.post('/problems/:id/progress', async (request, reply) => {
    const id = rowId(request.params);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = progressSchema.safeParse(body);
    if (!parsed.success) return renderRow(reply.code(400), id, fieldErrors(parsed.error, request.t), body);
    if (!(await recordProgress(ctx.db, request.staff!.userId, id, parsed.data.progress, parsed.data.note))) throw new HttpError(404);
    return reply.redirect(`/staff/problems/${id}`, 303);
  });

  // From the lead page: one action makes the row (or adds the lead to an existing one).
  app.post('/leads/:id/problem', async (request, reply) => {
    const { id } = parseId(request.params);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.row) {
      const link = linkExistingSchema.safeParse(body);
      if (!link.success || !(await linkLeadToRow(ctx.db, request.staff!.userId, id, link.data.row))) throw new HttpError(409);
      return reply.redirect(`/staff/problems/${link.data.row}`, 303);
    }
    const parsed = rowSchema().safeParse(body);
    if (!parsed.success) {
      return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t), body);
    }
    const rowIdCreated = await createRowFromLead(ctx.db, request.staff!.userId, id, parsed.data);
    if (rowIdCreated === false) throw new HttpError(409);
    return reply.redirect(`/staff/problems/${rowIdCreated}`, 303);
  });
}

function rowId(params: unknown): string {
  const parsed = rowIdSchema.safeParse(params);
  if (!parsed.success) throw new HttpError(404);
  return parsed.data.id;
}
