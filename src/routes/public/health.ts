import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '../../db/ping.js';
import type { PublicContext } from './context.js';

export default async function healthRoutes(app: FastifyInstance, ctx: PublicContext) {
  // For load balancers and monitoring: 200 when the database answers, 503 when it does not.
  app.get('/healthz', async (_request, reply) => {
    try {
      await pingDatabase(ctx.db);
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}
