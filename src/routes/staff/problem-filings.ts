import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../../audit.js';
import type { FiledRow } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import { chinaDate } from '../../leads/calendar.js';
import { dueDay, nextMonth, previousMonth } from '../../problems/filings.js';
import { findFilingById } from '../../problems/repository.js';
import { filingSchema, monthSchema } from '../../problems/schema.js';
import { currentList, fileList, filingTable } from '../../problems/service.js';
import { buildSheet, formatDay, sheetsToCsv, sheetsToXlsx, type Sheet } from '../../problems/sheet.js';
import { fieldErrors, formString, type FieldError } from '../../validation.js';
import type { StaffContext } from './index.js';

/** village=all: every village's list, one after another (print, XLSX worksheets, CSV lines). */
export const ALL = 'all';

const sheetQuerySchema = z.object({
  village: z.string().max(40).optional().catch(undefined),
  filing: z.string().regex(/^\d{1,18}$/).optional().catch(undefined),
});

// Monthly filing (per village, by the 20th) and the exports in the attachment's layout.
export default async function problemFilingRoutes(app: FastifyInstance, ctx: StaffContext) {
  const villageIds = () => ctx.campaign.villages.map((v) => v.id);

  app.get('/problems/filings', async (request, reply) => {
    const today = chinaDate(new Date());
    const q = z.object({ month: monthSchema.optional().catch(undefined) }).parse(request.query);
    const month = q.month ?? today.slice(0, 7);
    const lines = await filingTable(ctx.db, ctx.campaign, month, today);
    return reply.page('staff/problem-filings', {
      title: request.t('staff.problems.filings.title'),
      staff: request.staff,
      month,
      dueDay: formatDay(dueDay(month), request.locale),
      previous: previousMonth(month),
      next: month < today.slice(0, 7) ? nextMonth(month) : null,
      lines,
      canFile: request.staff!.role !== 'viewer',
    });
  });

  async function renderFile(reply: FastifyReply, values: Record<string, unknown>, errors: FieldError[] = []) {
    const request = reply.request;
    const village = villageIds().includes(String(values.village)) ? String(values.village) : ctx.campaign.villages[0]!.id;
    return reply.page('staff/problem-file', {
      title: request.t('staff.problems.file.title'),
      staff: request.staff,
      village,
      rows: await currentList(ctx.db, village),
      values: { month: chinaDate(new Date()).slice(0, 7), filedOn: chinaDate(new Date()), ...values, village },
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/problems/filings/new', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    return renderFile(reply, { village: formString(q.village), ...(monthSchema.safeParse(q.month).success ? { month: q.month } : {}) });
  });

  app.post('/problems/filings', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = filingSchema(villageIds()).safeParse(body);
    const today = chinaDate(new Date());
    const errors = parsed.success ? [] : fieldErrors(parsed.error, request.t);
    if (parsed.success && (parsed.data.month > today.slice(0, 7) || parsed.data.filedOn > today || parsed.data.filedOn < `${parsed.data.month}-01`)) {
      errors.push({ field: 'filedOn', code: 'problems.filedOn', message: request.t('errors.problems.filedOn') });
    }
    if (!parsed.success || errors.length) return renderFile(reply.code(400), body, errors);
    await fileList(ctx.db, request.staff!.userId, parsed.data);
    return reply.redirect(`/staff/problems/filings?month=${parsed.data.month}`, 303);
  });

  /** One village's list to export: a filing as filed, or the list as it stands today. */
  async function sheetOf(request: FastifyRequest, q: z.infer<typeof sheetQuerySchema>): Promise<{ sheet: Sheet; village: string }> {
    let village: string;
    let rows: FiledRow[];
    let date = chinaDate(new Date());
    let signers = null;
    if (q.filing) {
      const filing = await findFilingById(ctx.db, q.filing);
      if (!filing) throw new HttpError(404);
      village = filing.village;
      rows = filing.snapshot.rows;
      date = filing.filed_on;
      signers = { secretary: filing.secretary, residentLeader: filing.resident_leader, clerkName: filing.clerk_name };
    } else {
      if (!q.village || !villageIds().includes(q.village)) throw new HttpError(404);
      village = q.village;
      rows = await currentList(ctx.db, village);
    }
    return { sheet: buildSheet({ campaign: ctx.campaign, locale: request.locale, t: request.t, village, rows, date, signers }), village };
  }

  /** The lists to export: one (a filing, or a village's), or every village's as it stands (village=all). */
  async function sheetsFor(request: FastifyRequest): Promise<{ sheets: Sheet[]; village: string; filing: string | null }> {
    const q = sheetQuerySchema.parse(request.query);
    if (!q.filing && q.village === ALL) {
      const sheets = [];
      for (const village of villageIds()) sheets.push((await sheetOf(request, { village })).sheet);
      return { sheets, village: ALL, filing: null };
    }
    const { sheet, village } = await sheetOf(request, q);
    return { sheets: [sheet], village, filing: q.filing ?? null };
  }

  const exported = (request: FastifyRequest, format: string, s: { village: string; filing: string | null; sheets: Sheet[] }) =>
    recordAudit(ctx.db, {
      actorId: request.staff!.userId,
      action: 'problem.export',
      detail: { format, village: s.village, filing: s.filing, rows: s.sheets.reduce((n, sheet) => n + sheet.groups.reduce((a, g) => a + g.items.filter((i) => i.number).length, 0), 0) },
    });

  app.get('/problems/print', async (request, reply) => {
    const s = await sheetsFor(request);
    await exported(request, 'print', s);
    return reply.page('staff/problem-print', { title: s.sheets[0]!.title, staff: request.staff, sheets: s.sheets });
  });

  app.get('/problems/export.xlsx', async (request, reply) => {
    const s = await sheetsFor(request);
    const body = await sheetsToXlsx(s.sheets);
    await exported(request, 'xlsx', s);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="problem-list-${s.village}.xlsx"`)
      .send(body);
  });

  app.get('/problems/export.csv', async (request, reply) => {
    const s = await sheetsFor(request);
    const body = sheetsToCsv(s.sheets);
    await exported(request, 'csv', s);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="problem-list-${s.village}.csv"`).send(body);
  });
}
