import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CalendarOverride } from './work-calendar.js';

type Db = Kysely<Database>;

/** The days admins entered, with who entered each: the calendar page's list. */
export function listCalendarDays(db: Db) {
  return db.selectFrom('calendar_days as c').leftJoin('staff_users as s', 's.id', 'c.updated_by').select(['c.day', 'c.kind', 'c.note', 'c.updated_at', 's.username']).orderBy('c.day').execute();
}

/** The days admins entered, as overrides of the shipped calendar. */
export function listOverrides(db: Db): Promise<CalendarOverride[]> {
  return db.selectFrom('calendar_days').select(['day', 'kind']).execute();
}

export async function upsertDay(trx: Transaction<Database>, d: { day: string; kind: 'holiday' | 'workday'; note: string | null; actorId: string }) {
  await trx
    .insertInto('calendar_days')
    .values({ day: d.day, kind: d.kind, note: d.note, updated_by: d.actorId })
    .onConflict((oc) => oc.column('day').doUpdateSet({ kind: d.kind, note: d.note, updated_by: d.actorId, updated_at: new Date() }))
    .execute();
}

export async function deleteDay(trx: Transaction<Database>, day: string) {
  await trx.deleteFrom('calendar_days').where('day', '=', day).execute();
}
