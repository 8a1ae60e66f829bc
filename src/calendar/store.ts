import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import { deleteDay, listOverrides, upsertDay } from './repository.js';
import type { Database } from '../db/schema.js';
import { withOverrides, type WorkCalendar } from './work-calendar.js';

type Db = Kysely<Database>;

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
    this.calendar = withOverrides(this.base, await listOverrides(this.db));
  }

  async setDay(actorId: string, day: string, kind: 'holiday' | 'workday', note: string | null) {
    await this.db.transaction().execute(async (trx) => {
      await upsertDay(trx, { day, kind, note, actorId });
      await recordAudit(trx, { actorId, action: 'calendar.set', detail: { day, kind, note } });
    });
    await this.refresh();
  }

  async removeDay(actorId: string, day: string) {
    await this.db.transaction().execute(async (trx) => {
      await deleteDay(trx, day);
      await recordAudit(trx, { actorId, action: 'calendar.remove', detail: { day } });
    });
    await this.refresh();
  }
}
