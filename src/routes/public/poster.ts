import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PublicContext } from './context.js';
import { HttpError } from '../../lib/errors.js';
import { CATEGORIES } from '../../reports/schema.js';
import { qrSvg } from '../../staff/two-factor.js';

const querySchema = z.object({ village: z.string().max(40).optional() });

// The notice-board poster (A4, one page, black and white) and the wallet card (明白卡), printed
// from the browser. A village's poster carries a QR code that opens the report form with that
// village chosen — the village only: nothing in it can tell one reporter from another.
export default async function posterRoutes(app: FastifyInstance, ctx: PublicContext) {
  function target(villageId: string | undefined) {
    if (villageId === undefined) return { village: null, url: ctx.publicUrl };
    const village = ctx.campaign.villages.find((v) => v.id === villageId);
    if (!village) throw new HttpError(404);
    return { village, url: `${ctx.publicUrl}/report?village=${encodeURIComponent(village.id)}` };
  }

  async function view(query: unknown) {
    const { village, url } = target(querySchema.catch({}).parse(query).village);
    const phases = ctx.campaign.phases;
    return {
      village,
      url,
      qr: await qrSvg(url),
      categories: CATEGORIES,
      campaignStart: phases.map((p) => p.start).sort()[0],
      campaignEnd: phases.map((p) => p.end).sort().at(-1),
      villages: ctx.campaign.villages,
    };
  }

  app.get('/poster', async (request, reply) =>
    reply.page('public/poster', { title: request.t('poster.title'), ...(await view(request.query)) }),
  );

  app.get('/poster/card', async (request, reply) => {
    // A sheet of identical cards to cut out: one A4 page holds eight.
    return reply.page('public/card', { title: request.t('poster.card.title'), ...(await view(request.query)), cards: Array.from({ length: 8 }, (_, i) => i) });
  });
}
