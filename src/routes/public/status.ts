import type { FastifyInstance } from 'fastify';
import type { PublicContext } from '../../app.js';
import { lookupStatus } from '../../reports/service.js';
import { formString } from '../../validation.js';

export default async function statusRoutes(app: FastifyInstance, ctx: PublicContext) {
  app.get('/status', async (request, reply) => reply.page('public/status', { title: request.t('status.title') }));

  app.post('/status', { preHandler: app.limits.lookup }, async (request, reply) => {
    const code = formString((request.body as Record<string, unknown> | undefined)?.code).slice(0, 100);
    const result = await lookupStatus(ctx.db, ctx.keys, code);
    const title = request.t('status.title');
    if (result.kind === 'invalid') {
      reply.code(400);
      const message = request.t(code.trim() ? `errors.code.${result.reason}` : 'errors.code.required');
      return reply.page('public/status', { title, code, errors: { code: message }, errorList: [{ field: 'code', message }] });
    }
    if (result.kind === 'notFound') {
      await app.limits.failedLookup(request);
      reply.code(404);
      return reply.page('public/status', { title, code, notFound: true });
    }
    return reply.page('public/status-result', { title, ...result });
  });
}
