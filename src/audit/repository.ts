import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { pageLimit, toPage } from '../db/paging.js';

// The audit log's SQL. The table refuses UPDATE, DELETE and TRUNCATE (migrations/002_staff.sql):
// rows are only ever added and read.

type Db = Kysely<Database>;

export interface AuditRow {
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  report_id: string | null;
  target_user_id: string | null;
  detail: Record<string, unknown>;
}

export async function insertAuditRow(db: Db, row: AuditRow): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ ...row, detail: JSON.stringify(row.detail) })
    .execute();
}

/** What the audit browser filters by (already checked: src/audit/service.ts auditQuerySchema). */
export interface AuditFilter {
  action?: string | undefined;
  /** A username, or a name typed at a failed login of an account that does not exist. */
  actor?: string | undefined;
  lead?: string | undefined;
  /** Days in China, YYYY-MM-DD, both included. */
  from?: string | undefined;
  to?: string | undefined;
  /** The position after the last row shown: microseconds since the epoch _ id. */
  after?: string | undefined;
}

const CHINA_DAY = (date: string) => new Date(`${date}T00:00:00+08:00`);

/**
 * One page of the log, newest first. Keyset pagination on (at, id), never OFFSET: a page costs the
 * same at any depth, and rows written while someone pages (their own views, for one) neither
 * shift nor repeat what follows. The cursor keeps `at` to the microsecond, as PostgreSQL stores
 * it: a JavaScript Date (milliseconds) would skip or repeat rows written within one millisecond.
 */
export async function findAuditPage(db: Db, q: AuditFilter, pageSize: number) {
  let query = db
    .selectFrom('audit_log as a')
    .leftJoin('staff_users as actor', 'actor.id', 'a.actor_id')
    .leftJoin('staff_users as target', 'target.id', 'a.target_user_id')
    .select(['a.id', 'a.at', 'a.action', 'a.actor_name', 'a.report_id', 'a.detail', 'actor.username as actor', 'target.username as target'])
    // extract(epoch …) is numeric (exact) from PostgreSQL 14 on.
    .select(sql<string>`(extract(epoch from a.at) * 1000000)::bigint`.as('at_micros'));
  if (q.action) query = query.where('a.action', '=', q.action);
  if (q.actor) {
    const name = q.actor;
    query = query.where((eb) =>
      eb.or([eb('a.actor_id', '=', eb.selectFrom('staff_users').select('id').where('username', '=', name)), eb('a.actor_name', '=', name)]),
    );
  }
  if (q.lead) query = query.where('a.report_id', '=', q.lead);
  if (q.from) query = query.where('a.at', '>=', CHINA_DAY(q.from));
  if (q.to) query = query.where('a.at', '<', new Date(CHINA_DAY(q.to).getTime() + 86_400_000));
  if (q.after) {
    const [micros, id] = q.after.split('_') as [string, string];
    query = query.where(
      sql<boolean>`(a.at, a.id) < (timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond', ${id}::bigint)`,
    );
  }
  const rows = await query.orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(pageLimit(pageSize)).execute();
  return toPage(rows, pageSize, (last) => `${last.at_micros}_${last.id}`);
}
