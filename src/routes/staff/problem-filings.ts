import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../../lib/errors.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import { dueDay, nextMonth, previousMonth } from '../../problems/filings.js';
import { exportLists, type ExportFormat } from '../../problems/export.js';
import { filingSchema, monthSchema } from '../../problems/schema.js';
import { currentList, fileList, filingTable } from '../../problems/service.js';
import { formatDay, sheetsToCsv, sheetsToXlsx, type Sheet } from '../../problems/sheet.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

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

  async function exportOf<Body>(request: FastifyRequest, format: ExportFormat, encode: (sheets: Sheet[]) => Body | Promise<Body>) {
    const exportCtx = { campaign: ctx.campaign, locale: request.locale, t: request.t, actorId: request.staff!.userId };
    const s = await exportLists(ctx.db, exportCtx, sheetQuerySchema.parse(request.query), format, encode);
    if (!s) throw new HttpError(404);
    return s;
  }

  app.get('/problems/print', async (request, reply) => {
    const s = await exportOf(request, 'print', () => null);
    return reply.page('staff/problem-print', { title: s.sheets[0]!.title, staff: request.staff, sheets: s.sheets });
  });

  app.get('/problems/export.xlsx', async (request, reply) => {
    const s = await exportOf(request, 'xlsx', sheetsToXlsx);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="problem-list-${s.village}.xlsx"`)
      .send(s.body);
  });

  app.get('/problems/export.csv', async (request, reply) => {
    const s = await exportOf(request, 'csv', sheetsToCsv);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="problem-list-${s.village}.csv"`).send(s.body);
  });
}
