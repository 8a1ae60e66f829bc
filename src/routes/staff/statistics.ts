import type { FastifyInstance } from 'fastify';
import { staleWhileRevalidate } from '../../lib/cache.js';
import { CATEGORIES } from '../../reports/schema.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import { leadStatistics } from '../../leads/repository.js';
import { CHANNELS, STATUSES } from '../../leads/schema.js';
import { OUTCOMES } from '../../leads/workflow.js';
import type { StaffContext } from './context.js';

const STATISTICS_TTL_MS = 60_000;
const MONTHS_SHOWN = 12;

/** 'YYYY-MM' of the months ending with the current one (in China), newest first. */
function recentMonths(today: string, count: number): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    return d.toISOString().slice(0, 7);
  });
}

function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

// Figures for the campaign leadership (viewers) and staff: every report counted, duplicates too;
// each figure links to the queue filtered the same way (except outcomes, which the queue does not
// filter by). Computed in one scan, at most once a minute per instance.
export default async function statisticsRoutes(app: FastifyInstance, ctx: StaffContext) {
  const statistics = staleWhileRevalidate(STATISTICS_TTL_MS, () => leadStatistics(ctx.db));

  app.get('/statistics', async (request, reply) => {
    const s = await statistics();
    const rows = (keys: readonly string[], counts: Map<string, number>, href: (key: string) => string | null) =>
      keys.map((key) => ({ key, n: counts.get(key) ?? 0, href: href(key) }));
    // Every table adds up to the total: villages no longer in the campaign file keep their own row,
    // months before the last twelve one row, and reports not concluded one row under outcomes.
    const listed = [...ctx.campaign.villages.map((v) => v.id), 'other', ''];
    const villages = [...listed, ...[...s.village.keys()].filter((v) => !listed.includes(v)).sort()];
    const months = recentMonths(chinaDate(new Date()), MONTHS_SHOWN);
    const total = [...s.status.values()].reduce((a, b) => a + b, 0);
    const oldest = months.at(-1)!;
    const earlier = [...s.month].filter(([m]) => m < oldest).reduce((a, [, n]) => a + n, 0);
    const dayBefore = new Date(Date.parse(`${oldest}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const concluded = [...s.outcome.values()].reduce((a, b) => a + b, 0);
    return reply.page('staff/statistics', {
      title: request.t('staff.statistics.title'),
      staff: request.staff,
      total,
      byStatus: rows(STATUSES, s.status, (k) => `/staff/leads?status=${k}`),
      byCategory: rows(CATEGORIES, s.category, (k) => `/staff/leads?category=${k}`),
      byChannel: rows(CHANNELS, s.channel, (k) => `/staff/leads?channel=${k}`),
      // Reports that name no village cannot be filtered for in the queue.
      byVillage: rows(villages, s.village, (k) => (k ? `/staff/leads?village=${encodeURIComponent(k)}` : null)).map((r) => ({
        ...r,
        unlisted: !listed.includes(r.key),
      })),
      byMonth: rows(months, s.month, (k) => `/staff/leads?from=${k}-01&to=${lastDayOf(k)}`),
      earlier: earlier ? { n: earlier, href: `/staff/leads?to=${dayBefore}` } : null,
      byOutcome: rows(OUTCOMES, s.outcome, () => null),
      noOutcome: total - concluded,
    });
  });
}
