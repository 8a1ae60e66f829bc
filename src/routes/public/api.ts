import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PublicContext } from '../../app.js';
import { formatCode } from '../../codes.js';
import { statusQuerySchema } from '../../reports/schema.js';
import { firstStep } from '../../leads/deadlines.js';
import { lookupStatus, submitReport } from '../../reports/service.js';
import { fieldErrors, type FieldError } from '../../validation.js';
import { openApiDocument } from './openapi.js';

function validationFailed(reply: FastifyReply, fields: FieldError[]) {
  return reply.code(400).send({ error: 'validation', message: reply.request.t('errors.page.400.body'), fields });
}

// The JSON API: the same schemas and services as the forms.
export default async function apiRoutes(app: FastifyInstance, ctx: PublicContext) {
  const document = openApiDocument(ctx.reportSchema);
  app.get('/openapi.json', async () => document);

  app.post('/reports', { preHandler: app.limits.submit }, async (request, reply) => {
    const parsed = ctx.reportSchema.safeParse(request.body ?? {});
    if (!parsed.success) return validationFailed(reply, fieldErrors(parsed.error, request.t));
    // An Idempotency-Key makes a retried request return the first report's code.
    const key = request.headers['idempotency-key'];
    const token = typeof key === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(key) ? key : undefined;
    const result = await submitReport(ctx.db, ctx.keys, parsed.data, { token, ...firstStep(ctx.rules, parsed.data, new Date()) });
    return reply.code(result.replayed ? 200 : 201).send({
      code: formatCode(result.code),
      status: result.status,
      submittedAt: result.submittedAt.toISOString(),
    });
  });

  app.post('/status', { preHandler: app.limits.lookup }, async (request, reply) => {
    const parsed = statusQuerySchema.safeParse(request.body ?? {});
    if (!parsed.success) return validationFailed(reply, fieldErrors(parsed.error, request.t));
    const result = await lookupStatus(ctx.db, ctx.keys, parsed.data.code);
    if (result.kind === 'invalid') {
      const code = `code.${result.reason}`;
      return validationFailed(reply, [{ field: 'code', code, message: request.t(`errors.${code}`) }]);
    }
    if (result.kind === 'notFound') {
      await app.limits.failedLookup(request);
      return reply.code(404).send({
        error: 'not_found',
        message: request.t('status.notFound'),
        hotline: ctx.campaign.hotlines[0]!.number,
      });
    }
    return {
      status: result.status,
      statusLabel: request.t(`statuses.${result.status}.label`),
      merged: result.merged,
      submittedAt: result.submittedAt.toISOString(),
      statusChangedAt: result.statusChangedAt.toISOString(),
      updates: result.updates.map((u) => ({ body: u.body, createdAt: u.createdAt.toISOString() })),
    };
  });
}
