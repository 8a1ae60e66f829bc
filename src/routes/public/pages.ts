import type { FastifyInstance } from 'fastify';
import type { PublicContext } from './context.js';
import { CATEGORIES, TYPICAL_FORMS } from '../../reports/schema.js';

export default async function pageRoutes(app: FastifyInstance, ctx: PublicContext) {
  app.get('/', async (request, reply) =>
    reply.page('public/home', {
      title: request.t('home.title'),
      categories: CATEGORIES.map((id) => ({ id, forms: TYPICAL_FORMS[id] })),
      phases: ctx.campaign.phases,
      acceptDays: ctx.campaign.deadlines.acceptWorkingDays,
    }),
  );
}
