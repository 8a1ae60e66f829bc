import { readFileSync } from 'node:fs';
import { z } from 'zod';

// Working days as the official calendar has them: weekends off, public holidays off, and some
// weekend days made working days (调休). Dates are calendar dates in China ('YYYY-MM-DD').

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const calendarFileSchema = z.object({
  years: z.record(z.string().regex(/^\d{4}$/), z.object({ holidays: z.array(isoDate), workdays: z.array(isoDate) })),
});

export interface WorkCalendar {
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
  /** Years the official lists cover; outside them only weekends are known. */
  years: ReadonlySet<number>;
}

export function calendarFrom(data: z.infer<typeof calendarFileSchema>): WorkCalendar {
  const years = Object.values(data.years);
  return {
    holidays: new Set(years.flatMap((y) => y.holidays)),
    workdays: new Set(years.flatMap((y) => y.workdays)),
    years: new Set(Object.keys(data.years).map(Number)),
  };
}

export function loadCalendar(file: string): WorkCalendar {
  return calendarFrom(calendarFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
}

const DAY = 86_400_000;
const toDate = (iso: string) => new Date(`${iso}T00:00:00Z`);
const toIso = (d: Date) => d.toISOString().slice(0, 10);

// Built once: each Intl.DateTimeFormat costs ~45 µs and native memory the GC does not see
// (docs/PERFORMANCE.md), so none is made per request.
const CHINA_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/** The calendar date in China of an instant. */
export function chinaDate(at: Date): string {
  return CHINA_DAY.format(at);
}

export function isWorkingDay(cal: WorkCalendar, iso: string): boolean {
  if (cal.workdays.has(iso)) return true;
  if (cal.holidays.has(iso)) return false;
  const weekday = toDate(iso).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The date by which something received on `start` is due, `days` working days later. The day of
 * receipt does not count (as in 收到之日起15个工作日内).
 */
export function addWorkingDays(cal: WorkCalendar, start: string, days: number): string {
  let d = toDate(start);
  for (let left = days; left > 0; ) {
    d = new Date(d.getTime() + DAY);
    if (isWorkingDay(cal, toIso(d))) left--;
  }
  return toIso(d);
}

/** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
export function workingDaysBetween(cal: WorkCalendar, from: string, to: string): number {
  let n = 0;
  for (let d = toDate(from).getTime() + DAY, end = toDate(to).getTime(); d <= end; d += DAY) {
    if (isWorkingDay(cal, toIso(new Date(d)))) n++;
  }
  return n;
}

/** Years touched by the range [from, to] that the official lists do not cover. */
export function uncoveredYears(cal: WorkCalendar, from: string, to: string): number[] {
  const out: number[] = [];
  for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) if (!cal.years.has(y)) out.push(y);
  return out;
}

export interface CalendarOverride {
  day: string;
  kind: 'holiday' | 'workday';
}

/**
 * The shipped calendar with the days an admin entered on top; a year with any entered day counts
 * as covered (the admin entered its official list).
 */
export function withOverrides(base: WorkCalendar, overrides: readonly CalendarOverride[]): WorkCalendar {
  const holidays = new Set(base.holidays);
  const workdays = new Set(base.workdays);
  const years = new Set(base.years);
  for (const o of overrides) {
    (o.kind === 'holiday' ? holidays : workdays).add(o.day);
    (o.kind === 'holiday' ? workdays : holidays).delete(o.day);
    years.add(Number(o.day.slice(0, 4)));
  }
  return { holidays, workdays, years };
}
