import { randomBytes } from 'node:crypto';
import type { Category, NewReport } from '../../src/db/schema.js';
import { insertReport } from '../../src/reports/repository.js';
import { createRow } from '../../src/problems/service.js';
import type { TestApp } from './app.js';

/** A lead stored through the repository (no rate limit, any channel or date). */
export async function addLead(ta: TestApp, fields: Partial<NewReport> = {}): Promise<string> {
  const { id } = await insertReport(ta.database.db, {
    code_hash: randomBytes(32),
    category: 'funds',
    description: '村干部收取协调费五百元，不交就不给报危房补助。',
    ...fields,
  });
  return id;
}

/** Concludes a lead directly: the workflow itself is tested elsewhere. */
export async function conclude(ta: TestApp, id: string, outcome: 'substantiated' | 'partly' | 'unsubstantiated' = 'substantiated') {
  await ta.database.db.updateTable('reports').set({ status: 'concluded', outcome, due_on: null }).where('id', '=', id).execute();
}

export function addRow(ta: TestApp, actorId: string, fields: Partial<{ village: string; category: Category; problem: string; measures: string; deadline: string }> = {}) {
  return createRow(ta.database.db, actorId, {
    village: 'gulu',
    category: 'funds',
    problem: '补助资金未设专账核算',
    measures: '设立专账，逐户核对',
    deadline: '2030-10-20',
    ...fields,
  });
}
