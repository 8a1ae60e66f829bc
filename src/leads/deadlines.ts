import type { Campaign } from '../campaign.js';
import type { ReportStatus } from '../db/schema.js';
import { addWorkingDays, chinaDate, type WorkCalendar } from './calendar.js';

const DAY = 86_400_000;

/** The deadline of the step a lead enters with `status` at `at`; null once it is closed. */
export function dueOnFor(cal: WorkCalendar, deadlines: Campaign['deadlines'], status: ReportStatus, at: Date): string | null {
  const day = chinaDate(at);
  if (status === 'received') return addWorkingDays(cal, day, deadlines.acceptWorkingDays);
  if (status === 'verifying' || status === 'investigating') {
    return new Date(Date.parse(`${day}T00:00:00Z`) + deadlines.concludeCalendarDays * DAY).toISOString().slice(0, 10);
  }
  return null;
}
