import { DummyDriver, Kysely, PostgresAdapter, PostgresDialect, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/schema.js';
import { queueQuery, type QueueFilters } from '../../src/leads/repository.js';
import { publicStatusQuery } from '../../src/reports/repository.js';
import { insertStaffUser } from '../../src/staff/repository.js';
import { openSession } from '../../src/staff/service.js';

// The staff queue at scale: the pages measured, the bare equivalents' SQL (the queue's and the lookup's), a signed-in session for
// the load generator, and the query plans recorded with the figures.

export interface QueuePage {
  name: string;
  /** The app's URL path for the page. */
  path: string;
  filters: QueueFilters;
}

export function queuePages(village: string): QueuePage[] {
  return [
    { name: 'first page', path: '/staff/leads', filters: {} },
    { name: 'filtered page (category + village)', path: `/staff/leads?category=funds&village=${village}`, filters: { category: 'funds', village } },
  ];
}

/** Compiles the app's queries without a connection, so the bare routes send the same SQL. */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The exact SQL and parameters the app sends for a page (src/leads/repository.ts queueQuery). */
export function compileQueueQuery(filters: QueueFilters): { sql: string; parameters: readonly unknown[] } {
  const { sql, parameters } = queueQuery(compiler, filters, null).compile();
  return { sql, parameters };
}

/** The status lookup's SQL by code hash (src/reports/repository.ts publicStatusQuery), $1 the hash. */
export function compileStatusQuery(): string {
  return publicStatusQuery(compiler, { codeHash: Buffer.alloc(32) }).compile().sql;
}

/** An investigator's session opened directly in the database; returns the Cookie header. */
export async function staffCookie(url: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    // The load generator never logs in, so the hash is never checked.
    const user = await insertStaffUser(db, { username: 'bench', role: 'investigator', email: null, passwordHash: 'unused' });
    return `sid=${await openSession(db, user.id, false)}`;
  } finally {
    await db.destroy();
  }
}

/** EXPLAIN ANALYZE of the page's query, run twice so the recorded plan is the warm one. */
export async function explainQuery(pool: pg.Pool, q: { sql: string; parameters: readonly unknown[] }): Promise<string> {
  const explain = `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`;
  await pool.query(explain, [...q.parameters]);
  const r = await pool.query<{ 'QUERY PLAN': string }>(explain, [...q.parameters]);
  return r.rows.map((row) => row['QUERY PLAN']).join('\n');
}
