import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { chinaDate, isWorkingDay, uncoveredYears } from '../../calendar/work-calendar.js';
import { listCalendarDays } from '../../calendar/repository.js';
import { text } from '../../reports/schema.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

const day = z.string({ error: 'errors.calendar.day' }).regex(/^20\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'errors.calendar.day');
const setSchema = z.object({
  day,
  kind: z.enum(['holiday', 'workday'], { error: 'errors.calendar.kind' }),
  note: z.preprocess((v) => (v === '' ? undefined : v), text({ max: 200 }).optional()),
});

// The working-day calendar: the shipped State Council lists plus days admins enter — next year's
// list when it is published (around December), or a local correction. No release needed.
export default async function calendarRoutes(app: FastifyInstance, ctx: StaffContext) {
  async function render(reply: FastifyReply, errors: FieldError[] = [], values: object = {}) {
    const today = chinaDate(new Date());
    const nextYear = `${Number(today.slice(0, 4)) + 1}-12-31`;
    return reply.page('staff/calendar', {
      title: reply.request.t('staff.calendar.title'),
      staff: reply.request.staff,
      days: await listCalendarDays(ctx.db),
      missing: uncoveredYears(ctx.calendar.current, today, nextYear),
      todayWorking: isWorkingDay(ctx.calendar.current, today),
      today,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
      values,
    });
  }

  app.get('/calendar', async (_request, reply) => render(reply));

  app.post('/calendar', async (request, reply) => {
    const parsed = setSchema.safeParse(request.body);
    if (!parsed.success) return render(reply.code(400), fieldErrors(parsed.error, request.t), request.body as object);
    await ctx.calendar.setDay(request.staff!.userId, parsed.data.day, parsed.data.kind, parsed.data.note ?? null);
    return reply.redirect('/staff/calendar', 303);
  });

  app.post('/calendar/remove', async (request, reply) => {
    const parsed = z.object({ day }).safeParse(request.body);
    if (!parsed.success) return render(reply.code(400), fieldErrors(parsed.error, request.t));
    await ctx.calendar.removeDay(request.staff!.userId, parsed.data.day);
    return reply.redirect('/staff/calendar', 303);
  });
}
