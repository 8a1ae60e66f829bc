import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

// Advisory locks are keyed (class, id): the class keeps the jobs' ids apart from any other
// advisory lock (the migrations take a single-number one, src/db/migrate.ts).
const JOB_LOCK_CLASS = 727_202_302;

/** The scheduled jobs that must not run on two instances at the same moment. */
export const JOBS = {
  digest: 1,
  sentMailCleanup: 2,
  receiptCleanup: 3,
  sessionCleanup: 4,
  noticeExpansion: 5,
} as const;

/**
 * Runs `job` in a transaction holding the job's advisory lock, or returns null at once when another
 * instance holds it (that instance is doing the work right now). The lock is transaction-scoped, so
 * it is released with the commit or rollback, even when the connection is lost.
 */
export async function runExclusive<T>(
  db: Kysely<Database>,
  job: (typeof JOBS)[keyof typeof JOBS],
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T | null> {
  return db.transaction().execute(async (trx) => {
    const r = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${JOB_LOCK_CLASS}, ${job}) AS locked`.execute(trx);
    return r.rows[0]?.locked ? work(trx) : null;
  });
}
