import { randomBytes } from 'node:crypto';
import type { Category, ReportStatus } from '../../src/db/schema.js';
import { figuresCutoff } from '../../src/results/figures.js';
import type { TestApp } from './app.js';

/** A day inside last month (China time): reports the public figures count. */
export const LAST_MONTH = new Date(figuresCutoff(new Date()).before.getTime() - 2 * 86_400_000);

export interface SeedLead {
  village?: string | null;
  category?: Category;
  status?: ReportStatus;
  outcome?: 'substantiated' | 'partly' | 'unsubstantiated' | null;
  description?: string;
  receivedAt?: Date;
}

/** Inserts leads as they would stand after the workflow; returns their ids. */
export async function seedLeads(t: TestApp, leads: SeedLead[]): Promise<string[]> {
  const ids: string[] = [];
  for (const l of leads) {
    const row = await t.database.db
      .insertInto('reports')
      .values({
        code_hash: randomBytes(32),
        category: l.category ?? 'integrity',
        village: l.village ?? null,
        description: l.description ?? '村干部以协调费的名义收了我家五百元，说不交就不给批危房补助。',
        status: l.status ?? 'received',
        outcome: l.outcome ?? null,
        received_at: l.receivedAt ?? LAST_MONTH,
        submitted_at: l.receivedAt ?? LAST_MONTH,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return ids;
}

export const times = (n: number, lead: SeedLead): SeedLead[] => Array.from({ length: n }, () => lead);

/** The village table as published: name → the text of its cell. */
export function villageCells(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<tr><th scope="row">([^<]+)<\/th><td class="village-count">([^<]+)<\/td><\/tr>/g)].map((m) => [m[1]!, m[2]!]));
}

/** The town's total of received reports, from the category table's footer. */
export function totalReceived(html: string): number {
  const m = /<tfoot><tr><th scope="row">[^<]+<\/th><td[^>]*>(\d+)<\/td>/.exec(html);
  if (!m) throw new Error('no total in page');
  return Number(m[1]);
}

/**
 * Every value each hidden cell can take, given the published cells and the total: hidden "few"
 * cells hold 0–2, withheld cells 3 or more. Brute force: the tables are small.
 */
export function feasibleValues(cells: string[], total: number, few: string, withheld: string): Set<number>[] {
  const hidden = cells.map((c, i) => ({ c, i })).filter(({ c }) => c === few || c === withheld);
  const shownSum = cells.filter((c) => c !== few && c !== withheld).reduce((a, c) => a + Number(c), 0);
  const out = cells.map(() => new Set<number>());
  const rest = total - shownSum;
  const walk = (k: number, left: number, chosen: number[]) => {
    if (k === hidden.length) {
      if (left === 0) chosen.forEach((v, j) => out[hidden[j]!.i]!.add(v));
      return;
    }
    const range = hidden[k]!.c === few ? [0, 1, 2] : Array.from({ length: Math.max(0, left - 2) }, (_, v) => v + 3);
    for (const v of range) if (v <= left) walk(k + 1, left - v, [...chosen, v]);
  };
  walk(0, rest, []);
  return out;
}
