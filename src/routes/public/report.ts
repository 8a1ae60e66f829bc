import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PublicContext } from '../../app.js';
import { formErrors, formToInput, identityConflict, readForm, reportFormView, type ReportFormValues } from '../../reports/form.js';
import { firstStep } from '../../leads/deadlines.js';
import { submitReport } from '../../reports/service.js';
import { fieldErrors, type FieldError } from '../../validation.js';

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

export default async function reportRoutes(app: FastifyInstance, ctx: PublicContext) {
  const renderForm = (reply: FastifyReply, values: Partial<ReportFormValues>, errors: FieldError[] = []) =>
    reply.page('public/report', {
      title: reply.request.t('report.title'),
      ...reportFormView(ctx.campaign, reply.request.t, values, errors),
    });

  // Each form page carries a fresh random token: posting the same page twice (a retry after a
  // dropped connection, a double tap) finds the first report instead of making a second one.
  app.get('/report', async (request, reply) => {
    const village = (request.query as Record<string, unknown>).village;
    const values = { token: randomBytes(18).toString('base64url'), village: typeof village === 'string' ? village : '' };
    return renderForm(reply, values);
  });

  app.post('/report', { preHandler: app.limits.submit }, async (request, reply) => {
    const values = readForm(request.body);
    const parsed = ctx.reportSchema.safeParse(formToInput(values));
    const errors = parsed.success ? [] : formErrors(fieldErrors(parsed.error, request.t));
    if (identityConflict(values)) {
      errors.push({ field: 'identity', code: 'identity.conflict', message: request.t('errors.identity.conflict') });
    }
    if (!parsed.success || errors.length) {
      reply.code(400);
      return renderForm(reply, values, errors);
    }
    const token = TOKEN.test(values.token) ? values.token : undefined;
    const result = await submitReport(ctx.db, ctx.keys, parsed.data, { token, ...firstStep(ctx.rules, parsed.data, new Date()) });
    // The code is shown in this response only (never in a URL): switching language here would
    // lose it, so the page offers no switch.
    return reply.page('public/receipt', {
      title: request.t('receipt.title'),
      hideLangSwitch: true,
      code: result.code,
      submittedAt: result.submittedAt,
      replayed: result.replayed,
      acceptDays: ctx.campaign.deadlines.acceptWorkingDays,
      statusUrl: `${ctx.publicUrl}/status`,
    });
  });
}
