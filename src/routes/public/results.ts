import type { FastifyInstance } from 'fastify';
import type { PublicContext } from './context.js';
import { staleWhileRevalidate } from '../../lib/cache.js';
import { publishedCases } from '../../cases/repository.js';
import { figuresCutoff, publicFigures } from '../../results/figures.js';
import { RESULT_MEASURES, resultRows } from '../../results/repository.js';

const FIGURES_TTL_MS = 60_000;

// The campaign's results for the public: figures as of the end of last month (small counts per
// village suppressed: src/results/suppression.ts) and the typical cases staff published.
export default async function resultRoutes(app: FastifyInstance, ctx: PublicContext) {
  // One scan over every report, at most once a minute per instance, however often the page is read.
  const rows = staleWhileRevalidate(FIGURES_TTL_MS, async () => {
    const { before, asOf } = figuresCutoff(new Date());
    return { asOf, rows: await resultRows(ctx.db, before) };
  });

  app.get('/results', async (request, reply) => {
    const [data, cases] = await Promise.all([rows(), publishedCases(ctx.db)]);
    return reply.page('public/results', {
      title: request.t('results.title'),
      figures: publicFigures(data.rows, ctx.campaign.villages.map((v) => v.id), data.asOf),
      measures: RESULT_MEASURES,
      cases,
    });
  });
}
