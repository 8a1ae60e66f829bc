import type { Kysely } from 'kysely';
import { recordAudit } from '../audit.js';
import type { Database } from '../db/schema.js';
import { withOverrides, type CalendarOverride, type WorkCalendar } from './calendar.js';

type Db = Kysely<Database>;

export function listCalendarDays(db: Db) {
  return db.selectFrom('calendar_days as c').leftJoin('staff_users as s', 's.id', 'c.updated_by').select(['c.day', 'c.kind', 'c.note', 'c.updated_at', 's.username']).orderBy('c.day').execute();
}

/**
 * The working-day calendar in force: the shipped file plus the days admins entered. Read from the
 * database at start, after every change on this instance, and every few minutes (for changes made
 * on another instance).
 */
export class CalendarStore {
  private calendar: WorkCalendar;

  constructor(
    private readonly db: Db,
    private readonly base: WorkCalendar,
  ) {
    this.calendar = base;
  }

  get current(): WorkCalendar {
    return this.calendar;
  }

  async refresh(): Promise<void> {
    const rows: CalendarOverride[] = await this.db.selectFrom('calendar_days').select(['day', 'kind']).execute();
    this.calendar = withOverrides(this.base, rows);
  }

  async setDay(actorId: string, day: string, kind: 'holiday' | 'workday', note: string | null) {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('calendar_days')
        .values({ day, kind, note, updated_by: actorId })
        .onConflict((oc) => oc.column('day').doUpdateSet({ kind, note, updated_by: actorId, updated_at: new Date() }))
        .execute();
      await recordAudit(trx, { actorId, action: 'calendar.set', detail: { day, kind, note } });
    });
    await this.refresh();
  }

  async removeDay(actorId: string, day: string) {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('calendar_days').where('day', '=', day).execute();
      await recordAudit(trx, { actorId, action: 'calendar.remove', detail: { day } });
    });
    await this.refresh();
  }
}
