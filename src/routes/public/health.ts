import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { PublicContext } from './context.js';

export default async function healthRoutes(app: FastifyInstance, ctx: PublicContext) {
  // For load balancers and monitoring: 200 when the database answers, 503 when it does not.
  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`SELECT 1`.execute(ctx.db);
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}
