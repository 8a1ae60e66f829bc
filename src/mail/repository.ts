import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, MailKind, MailOutboxTable, MailPayload } from '../db/schema.js';

// The mail outbox (migrations/005_mail_outbox.sql): notices are enqueued with the change that
// causes them and sent later by the drain (./mailer.ts). Nothing here ever reads a report's
// content: a notice carries a kind, a recipient and counts.

type Db = Kysely<Database>;

/**
 * The row a new lead adds, in the same statement as the report (src/reports/repository.ts). It
 * names no recipient: "every enabled admin and investigator with an email address" is resolved
 * when the drain sends it, so the public submission stays one cheap statement.
 */
export const NEW_LEAD_NOTICE = { kind: 'new_lead' } as const satisfies Insertable<MailOutboxTable>;

/**
 * A reporter followed up on a lead: a notice to its assignee, or, while nobody is assigned, to
 * whoever triages (resolved when sent). Call it with the transaction that stores the follow-up.
 */
export async function enqueueFollowUpNotice(db: Db, reportId: string): Promise<void> {
  await db
    .insertInto('mail_outbox')
    .columns(['kind', 'recipient_id'])
    .expression((eb) =>
      eb.selectFrom('reports').select([sql.lit('follow_up').as('kind'), 'assignee_id']).where('id', '=', reportId),
    )
    .execute();
}

/**
 * The portal-wide budget of unknown codes was passed in the hour starting `hourStart`: a notice for
 * whoever triages, once per hour whichever instance noticed. True when this call enqueued it.
 */
export async function enqueueGuessingNotice(db: Db, hourStart: Date): Promise<boolean> {
  const r = await db
    .insertInto('mail_outbox')
    .values({ kind: 'guessing', dedup_key: `guessing:${hourStart.toISOString()}` })
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * One digest per assignee with open leads due by `horizon` (or overdue on `today`), keyed by user
 * and day: a second run the same day — another instance, a restart — inserts nothing.
 * Returns how many digests were enqueued.
 */
export async function enqueueDigests(db: Db, days: { today: string; horizon: string }): Promise<number> {
  const r = await sql`
    INSERT INTO mail_outbox (kind, recipient_id, payload, dedup_key)
    SELECT 'digest', r.assignee_id,
           jsonb_build_object('overdue', count(*) FILTER (WHERE r.due_on < ${days.today}::date),
                              'dueSoon', count(*) FILTER (WHERE r.due_on >= ${days.today}::date)),
           'digest:' || r.assignee_id || ':' || ${days.today}::text
    FROM reports r JOIN staff_users u ON u.id = r.assignee_id
    WHERE r.due_on <= ${days.horizon}::date AND r.status <> 'merged'
      AND NOT u.disabled AND coalesce(u.email, '') <> ''
    GROUP BY r.assignee_id
    ORDER BY r.assignee_id
    ON CONFLICT (dedup_key) DO NOTHING`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

// Who receives a notice addressed to nobody in particular.
const TRIAGERS = sql`u.role IN ('admin', 'investigator') AND NOT u.disabled AND coalesce(u.email, '') <> ''`;

/**
 * Turns every pending row addressed to nobody into one row per current recipient, coalesced by
 * kind (ten new leads since the last drain make one notice each, saying 10), and marks the
 * originals done — all in one statement, so it is atomic and two instances never expand the same
 * row (SKIP LOCKED); the mailer runs it under an advisory lock, so that two instances never split
 * the pending rows between them either. While nobody has an address, the rows wait rather than
 * vanish. A reporter's notice is due only from the next full hour (migrations/015_coarse_times.sql).
 */
export async function expandPendingNotices(db: Db, at: Date | null = null): Promise<number> {
  const r = await sql<{ created: string }>`
    WITH claimed AS (
      SELECT o.id, o.kind FROM mail_outbox o
      WHERE o.recipient_id IS NULL AND o.next_attempt_at <= ${clock(at)}
        AND EXISTS (SELECT 1 FROM staff_users u WHERE ${TRIAGERS})
      FOR UPDATE OF o SKIP LOCKED
    ), done AS (
      UPDATE mail_outbox o SET sent_at = now(), next_attempt_at = NULL
      FROM claimed c WHERE o.id = c.id
      RETURNING c.kind
    ), created AS (
      INSERT INTO mail_outbox (kind, recipient_id, payload)
      SELECT d.kind, u.id, jsonb_build_object('count', d.n)
      FROM (SELECT kind, count(*) AS n FROM done GROUP BY kind) d CROSS JOIN staff_users u
      WHERE ${TRIAGERS}
      ORDER BY d.kind, u.id
      RETURNING 1
    )
    SELECT count(*) AS created FROM created`.execute(db);
  return Number(r.rows[0]?.created ?? 0);
}

export interface ClaimedNotice {
  id: string;
  kind: MailKind;
  payload: MailPayload;
  attempts: number;
  /** Null when the recipient has since been disabled or has no address. */
  email: string | null;
}

// The database's clock decides what is due, so instances with skewed clocks agree. `at` (tests)
// stands in for "now" to see what will be due later without waiting.
const clock = (at: Date | null) => sql`coalesce(${at}::timestamptz, now())`;
const seconds = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/**
 * Claims up to `limit` due notices for this instance: one statement (so one short transaction)
 * that locks them, skipping rows another instance holds, counts the attempt and sets a lease
 * (`next_attempt_at = now + leaseMs`), and commits at once. Sending happens outside any
 * transaction; a crash mid-send leaves the row to be claimed again when the lease ends.
 */
export async function claimDueNotices(db: Db, at: Date | null, leaseMs: number, limit: number): Promise<ClaimedNotice[]> {
  const r = await sql<ClaimedNotice>`
    WITH due AS (
      SELECT o.id, CASE WHEN u.disabled THEN NULL ELSE nullif(u.email, '') END AS email
      FROM mail_outbox o JOIN staff_users u ON u.id = o.recipient_id
      WHERE o.next_attempt_at <= ${clock(at)}
      ORDER BY o.next_attempt_at, o.id
      LIMIT ${limit}
      FOR UPDATE OF o SKIP LOCKED
    )
    UPDATE mail_outbox o SET attempts = o.attempts + 1, next_attempt_at = ${clock(at)} + ${seconds(leaseMs)}
    FROM due WHERE o.id = due.id
    RETURNING o.id, o.kind, o.payload, o.attempts, due.email`.execute(db);
  return r.rows.sort((a, b) => Number(a.id) - Number(b.id));
}

export async function markSent(db: Db, id: string): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ sent_at: sql<Date>`now()`, next_attempt_at: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** A failed attempt: tried again `retryMs` from now, or given up for good when that is null (the row stays). */
export async function markFailed(db: Db, id: string, error: string, retryMs: number | null, at: Date | null = null): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ next_attempt_at: retryMs === null ? null : sql<Date>`${clock(at)} + ${seconds(retryMs)}`, last_error: error.slice(0, 500) })
    .where('id', '=', id)
    .where('sent_at', 'is', null)
    .execute();
}

/** Sent notices are kept a while for the record, then deleted; unsent ones never are. */
export async function deleteSentBefore(db: Db, before: Date): Promise<number> {
  const r = await db.deleteFrom('mail_outbox').where('sent_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
