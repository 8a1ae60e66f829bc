import type { FastifyInstance } from 'fastify';
import type { Locale } from '../../campaign/schema.js';
import { registerOverview, townReport } from '../../households/overview/service.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import type { StaffContext } from './context.js';

// The register's overview per village and the town's totals for the self-check report. Both are
// counts only (no names, no ID numbers), so every staff role may read them.

export default async function registerOverviewRoutes(app: FastifyInstance, ctx: StaffContext) {
  const villageName = (id: string | undefined, locale: Locale) => (id ? (ctx.campaign.villages.find((v) => v.id === id)?.name[locale] ?? id) : '');

  app.get('/households/overview', async (request, reply) => {
    const { villages, total } = await registerOverview(ctx.db, ctx.campaign);
    return reply.page('staff/household-overview', {
      title: request.t('households.overview.title'),
      staff: request.staff,
      villages: villages.map((v) => ({ ...v, name: villageName(v.village, request.locale) })),
      total,
      recheck: ctx.campaign.register.recheck,
    });
  });

  app.get('/households/report', async (request, reply) => {
    const report = await townReport(ctx.db, ctx.campaign);
    const { householdTypes, methods } = ctx.campaign.register;
    const t = request.t;
    const named = (list: typeof methods, key: string) => list.find((i) => i.key === key)?.name[request.locale] ?? key;
    return reply.page('staff/household-report', {
      title: t('households.report.title'),
      staff: request.staff,
      today: chinaDate(new Date()),
      campaignName: ctx.campaign.name[request.locale],
      ...report,
      tables: [
        { title: t('households.fields.programmeYear'), rows: report.byYear.map((b) => ({ ...b, label: b.key })) },
        { title: t('households.fields.householdType'), rows: report.byType.map((b) => ({ ...b, label: named(householdTypes, b.key) })) },
        { title: t('households.fields.method'), rows: report.byMethod.map((b) => ({ ...b, label: named(methods, b.key) })) },
      ],
    });
  });
}
