import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { chinaDate } from '../../calendar/work-calendar.js';
import { intakeSchema, STAFF_CHANNELS } from '../../leads/schema.js';
import { formErrors, formToInput, readForm, reportFormView, type ReportFormValues } from '../../reports/form.js';
import { submitIntake } from '../../reports/submit.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';


// Leads that arrive by phone, at a reception day, on a home visit, by letter, from an audit or an
// inspection: a clerk types them in with the same validation as the public form, and reads the
// tracking code to the caller, who can then follow the case on the web or by calling back.
export default async function intakeRoutes(app: FastifyInstance, ctx: StaffContext) {
  function render(reply: FastifyReply, values: Partial<ReportFormValues> & { channel?: string; receivedOn?: string }, errors: FieldError[] = []) {
    const request = reply.request;
    return reply.page('staff/intake', {
      title: request.t('staff.intake.title'),
      staff: request.staff,
      ...reportFormView(ctx.campaign, request.t, values, errors),
      channels: STAFF_CHANNELS.map((c) => ({ id: c, selected: values.channel === c })),
      receivedOn: values.receivedOn ?? chinaDate(new Date()),
    });
  }

  app.get('/intake', async (_request, reply) =>
    render(reply, { token: randomBytes(18).toString('base64url'), channel: 'hotline' }),
  );

  app.post('/intake', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { ...readForm(body), channel: formString(body.channel), receivedOn: formString(body.receivedOn) };
    // On the phone the caller decides whether to give a name; identity is recorded as on the web.
    const report = ctx.reportSchema.safeParse(formToInput(values));
    const intake = intakeSchema.safeParse(values);
    const errors = [
      ...(report.success ? [] : formErrors(fieldErrors(report.error, request.t))),
      ...(intake.success ? [] : fieldErrors(intake.error, request.t)),
    ];
    if (!report.success || !intake.success) return render(reply.code(400), values, errors);
    const receivedAt = new Date(`${intake.data.receivedOn}T12:00:00+08:00`);
    // The report itself is stored the way the public form stores it (idempotent by the page's
    // token, so a double click makes one lead), with its intake record in the same transaction.
    const result = await submitIntake(ctx.db, request.staff!, ctx.reportKeys, ctx.rules, report.data, {
      token: /^[A-Za-z0-9_-]{16,64}$/.test(values.token) ? values.token : undefined,
      channel: intake.data.channel,
      receivedAt,
    });
    return reply.page('staff/intake-receipt', {
      title: request.t('staff.intake.receiptTitle'),
      staff: request.staff,
      code: result.code,
      id: result.id,
      replayed: result.replayed,
    });
  });
}
