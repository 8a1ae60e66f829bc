import type { Kysely } from 'kysely';
import type { Campaign } from '../../campaign/schema.js';
import type { Database } from '../../db/schema.js';
import { barChart, stackedChart } from '../../dashboard/charts.js';
import { sampleSize } from '../../lookback/sample.js';
import { FLAG_KINDS } from '../flags/kinds.js';
import { breakdowns, figuresByVillage, flagsByVillage, leadTotals, recheckTotals, registerRowsByVillage } from './repository.js';

// The register at a glance (per village: households, share without an open flag, share re-checked
// against the campaign's rate, flags by kind, re-check results, problem rows) and the town's totals
// for the 7月20日 self-check report (自查自纠工作报告). Every count carries the link of the list it
// counts, so following a number shows exactly that many.

type Db = Kysely<Database>;

export interface Figure {
  n: number;
  href: string;
}

const share = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : '—');

function listHref(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return q.size ? `${path}?${q}` : path;
}

export interface VillageOverview {
  /** Undefined for the town's totals row. */
  village?: string;
  households: Figure;
  flagged: Figure;
  clean: Figure;
  cleanShare: string;
  drawn: Figure;
  rechecked: Figure;
  recheckedShare: string;
  /** Re-checks the campaign's rate asks of this village (at least the minimum). */
  needed: number;
  met: boolean;
  mismatched: Figure;
  /** Problem-list rows from the register, and of those the ones done. */
  rows: Figure;
  rowsDone: Figure;
  kinds: (Figure & { kind: string })[];
}

export async function registerOverview(db: Db, campaign: Campaign): Promise<{ villages: VillageOverview[]; total: VillageOverview }> {
  const [figures, flags, rows] = await Promise.all([figuresByVillage(db), flagsByVillage(db), registerRowsByVillage(db)]);
  const { ratePercent, minimumPerVillage } = campaign.register.recheck;
  const listed = campaign.villages.map((v) => v.id);
  const ids = [...listed, ...figures.map((f) => f.village).filter((v) => !listed.includes(v))];

  const overview = (village: string | undefined, needed: number): VillageOverview => {
    const mine = <T extends { village: string }>(list: T[]) => list.filter((x) => village === undefined || x.village === village);
    const sum = <T extends { village: string }>(list: T[], pick: (x: T) => number) => mine(list).reduce((a, x) => a + pick(x), 0);
    const register = (extra: Record<string, string>) => listHref('/staff/households', { village, ...extra });
    const problems = (extra: Record<string, string>) => listHref('/staff/problems', { village, source: 'register', ...extra });
    const households = sum(figures, (f) => f.households);
    const flagged = sum(figures, (f) => f.flagged);
    const rechecked = sum(figures, (f) => f.rechecked);
    const done = sum(rows, (r) => (r.progress === 'done' ? r.n : 0));
    return {
      village,
      households: { n: households, href: register({}) },
      flagged: { n: flagged, href: register({ flag: 'any' }) },
      clean: { n: households - flagged, href: register({ flag: 'none' }) },
      cleanShare: share(households - flagged, households),
      drawn: { n: sum(figures, (f) => f.drawn), href: register({ recheck: 'drawn' }) },
      rechecked: { n: rechecked, href: register({ recheck: 'rechecked' }) },
      recheckedShare: share(rechecked, households),
      needed,
      met: rechecked >= needed,
      mismatched: { n: sum(figures, (f) => f.mismatched), href: register({ recheck: 'mismatch' }) },
      rows: { n: sum(rows, (r) => r.n), href: problems({}) },
      rowsDone: { n: done, href: problems({ progress: 'done' }) },
      kinds: FLAG_KINDS.map((kind) => ({ kind, n: sum(flags, (f) => (f.kind === kind ? f.open : 0)), href: register({ flag: kind }) })),
    };
  };
  const villages = ids.map((id) => overview(id, sampleSize(figures.find((f) => f.village === id)?.households ?? 0, ratePercent, minimumPerVillage)));
  return { villages, total: overview(undefined, villages.reduce((a, v) => a + v.needed, 0)) };
}

/** The town's totals for the self-check report: coverage, amounts, what the flags found, the re-checks and the leads. */
export async function townReport(db: Db, campaign: Campaign) {
  const [{ villages, total }, parts, flags, rechecks, leads] = await Promise.all([
    registerOverview(db, campaign),
    breakdowns(db),
    flagsByVillage(db),
    recheckTotals(db),
    leadTotals(db),
  ]);
  const of = (dimension: string) => parts.filter((p) => p.dimension === dimension);
  const all = of('all')[0] ?? { households: 0, approved: '0', paid: '0' };
  return {
    villagesCovered: villages.filter((v) => v.households.n > 0).length,
    villagesListed: campaign.villages.length,
    all,
    byYear: of('year'),
    byType: of('type'),
    byMethod: of('method'),
    flags: FLAG_KINDS.map((kind) => {
      const raised = flags.filter((f) => f.kind === kind).reduce((a, f) => a + f.raised, 0);
      const open = flags.filter((f) => f.kind === kind).reduce((a, f) => a + f.open, 0);
      return { kind, raised, open, settled: raised - open };
    }),
    total,
    recheck: {
      ratePercent: campaign.register.recheck.ratePercent,
      methods: rechecks.methods,
      draws: rechecks.draws,
      villagesMet: villages.filter((v) => v.households.n > 0 && v.met).length,
    },
    leads,
  };
}

/** The overview as the dashboard's two SVG charts: households with and without an open flag, and re-checked, per village. */
export function registerCharts(villages: readonly VillageOverview[], labels: { clean: string; flagged: string }, villageName: (id: string) => string) {
  return {
    flags: stackedChart(
      villages.map((v) => ({
        label: villageName(v.village!),
        segments: [
          { key: 'clean', label: labels.clean, ...v.clean },
          { key: 'flagged', label: labels.flagged, ...v.flagged },
        ],
      })),
    ),
    rechecked: barChart(villages.map((v) => ({ label: villageName(v.village!), ...v.rechecked }))),
  };
}
