import type { FastifyInstance } from 'fastify';
import { staleWhileRevalidate } from '../../lib/cache.js';
import { barChart, stackedChart } from '../../dashboard/charts.js';
import { dashboardCounts } from '../../dashboard/counts.js';
import { registerCharts, registerOverview } from '../../households/overview/service.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import { CHANNELS, STATUSES } from '../../leads/schema.js';
import { PROGRESS } from '../../problems/schema.js';
import { CATEGORIES } from '../../reports/schema.js';
import type { StaffContext } from './context.js';

const DASHBOARD_TTL_MS = 30_000;
const MONTHS_SHOWN = 12;

function recentMonths(today: string, count: number): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(y, m - count + i, 1)).toISOString().slice(0, 7));
}

const lastDayOf = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};

// The campaign at a glance. Every figure is counted as the queue (or the problem list) filters and
// links there, so following a number shows exactly that many leads. Counted at most every 30 s.
export default async function dashboardRoutes(app: FastifyInstance, ctx: StaffContext) {
  const counts = staleWhileRevalidate(DASHBOARD_TTL_MS, async () => {
    const today = chinaDate(new Date());
    const [leads, register] = await Promise.all([dashboardCounts(ctx.db, today), registerOverview(ctx.db, ctx.campaign)]);
    return { today, ...leads, register };
  });

  app.get('/dashboard', async (request, reply) => {
    const c = await counts();
    const t = request.t;
    const villageName = (id: string) => ctx.campaign.villages.find((v) => v.id === id)?.name[request.locale] ?? t('report.village.other');
    // Every table and chart adds up to the same total (the queue's: a merged duplicate counts once).
    // Villages in leads but no longer in the campaign file get their own column, as do "other" and
    // leads naming none, so that no lead falls outside the table.
    const listed = [...ctx.campaign.villages.map((v) => v.id), 'other'];
    const named = [...new Set([...c.categoryVillage.keys()].map((k) => k.slice(k.indexOf('|') + 1)))];
    const villages = [...listed, ...named.filter((v) => v && !listed.includes(v)).sort()];
    const total = CATEGORIES.reduce((a, category) => a + (c.category.get(category) ?? 0), 0);
    const matrix = CATEGORIES.map((category) => ({
      category,
      total: { n: c.category.get(category) ?? 0, href: `/staff/leads?category=${category}` },
      cells: villages.map((village) => ({ n: c.categoryVillage.get(`${category}|${village}`) ?? 0, href: `/staff/leads?category=${category}&village=${encodeURIComponent(village)}` })),
      // The queue cannot select leads that name no village: shown, not linked.
      none: c.categoryVillage.get(`${category}|`) ?? 0,
    }));
    const columnTotals = {
      cells: villages.map((village) => ({
        n: CATEGORIES.reduce((a, category) => a + (c.categoryVillage.get(`${category}|${village}`) ?? 0), 0),
        href: `/staff/leads?village=${encodeURIComponent(village)}`,
      })),
      none: CATEGORIES.reduce((a, category) => a + (c.categoryVillage.get(`${category}|`) ?? 0), 0),
      total: { n: total, href: '/staff/leads' },
    };
    const months = recentMonths(c.today, MONTHS_SHOWN);
    const earlier = [...c.month].filter(([m]) => m < months[0]!).reduce((a, [, n]) => a + n, 0);
    const dayBefore = new Date(Date.parse(`${months[0]}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const problemRows = ctx.campaign.villages.map(({ id }) => ({
      label: villageName(id),
      segments: PROGRESS.map((p) => ({
        key: p,
        label: t(`staff.problems.progress.${p}`),
        n: c.problems.find((s) => s.village === id && s.progress === p)?.n ?? 0,
        href: `/staff/problems?village=${id}&progress=${p}`,
      })),
      overdue: c.problems.filter((s) => s.village === id).reduce((a, s) => a + s.overdue, 0),
      overdueHref: `/staff/problems?village=${id}&overdue=1`,
    }));
    return reply.page('staff/dashboard', {
      title: t('staff.dashboard.title'),
      staff: request.staff,
      today: c.today,
      villages: villages.map((id) => ({ id, name: listed.includes(id) ? villageName(id) : id })),
      matrix,
      columnTotals,
      total: { n: total, href: '/staff/leads' },
      // Merged duplicates have a status of their own in the queue: shown apart, so that the status
      // chart adds up to the same total as the others.
      merged: { n: c.status.merged ?? 0, href: '/staff/leads?status=merged' },
      byStatus: barChart(
        STATUSES.filter((s) => s !== 'merged').map((s) => ({ label: t(`statuses.${s}.label`), n: c.status[s] ?? 0, href: `/staff/leads?status=${s}` })),
      ),
      byChannel: barChart(CHANNELS.map((ch) => ({ label: t(`channels.${ch}`), n: c.channel.get(ch) ?? 0, href: `/staff/leads?channel=${ch}` }))),
      byMonth: barChart([
        ...(earlier ? [{ label: t('staff.statistics.earlier'), n: earlier, href: `/staff/leads?to=${dayBefore}` }] : []),
        ...months.map((m) => ({ label: m, n: c.month.get(m) ?? 0, href: `/staff/leads?from=${m}-01&to=${lastDayOf(m)}` })),
      ]),
      overdueLeads: { n: c.overdueLeads, href: '/staff/leads?overdue=1' },
      overdueRows: { n: c.problems.reduce((a, s) => a + s.overdue, 0), href: '/staff/problems?overdue=1' },
      register: registerCharts(
        c.register.villages,
        { clean: t('households.overview.clean'), flagged: t('households.flagged') },
        (id) => ctx.campaign.villages.find((v) => v.id === id)?.name[request.locale] ?? id,
      ),
      problems: { ...stackedChart(problemRows), overdue: problemRows.map((r) => ({ label: r.label, n: r.overdue, href: r.overdueHref })) },
    });
  });
}
