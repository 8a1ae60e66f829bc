import type { Campaign } from '../campaign/schema.js';
import type { ReportStatus } from '../db/schema.js';
import { addWorkingDays, chinaDate, type WorkCalendar } from '../calendar/work-calendar.js';

const DAY = 86_400_000;

/** "Due soon", in the queue's filter and in the daily digest: within this many working days. */
export const DUE_SOON_WORKING_DAYS = 3;

export interface LeadRules {
  calendar: WorkCalendar;
  deadlines: Campaign['deadlines'];
  leadership: Campaign['leadership'];
}

/** Names of the town's leadership that a text mentions. */
export function leadershipNamed(rules: LeadRules, ...texts: (string | null | undefined)[]): string[] {
  const text = texts.filter(Boolean).join('\n');
  return rules.leadership.filter((l) => text.includes(l.name)).map((l) => l.name);
}

/**
 * A new lead's first deadline: deciding on acceptance, or — when it names the town's own
 * leadership — passing it to the next level up, which is shorter.
 */
export function firstStep(rules: LeadRules, input: { subject?: string | null; description: string }, at: Date) {
  const upward = leadershipNamed(rules, input.subject, input.description).length > 0;
  const days = upward ? rules.deadlines.transferWorkingDays : rules.deadlines.acceptWorkingDays;
  return { upward, dueOn: addWorkingDays(rules.calendar, chinaDate(at), days) };
}

/** The deadline of the step a lead enters with `status` at `at`; null once nothing is owed. */
export function dueOnFor(
  rules: LeadRules,
  status: ReportStatus,
  at: Date,
  lead: { upward: boolean; verifiedRealName: boolean },
): string | null {
  const day = chinaDate(at);
  if (status === 'received') {
    return addWorkingDays(rules.calendar, day, lead.upward ? rules.deadlines.transferWorkingDays : rules.deadlines.acceptWorkingDays);
  }
  if (status === 'verifying' || status === 'investigating') {
    return new Date(Date.parse(`${day}T00:00:00Z`) + rules.deadlines.concludeCalendarDays * DAY).toISOString().slice(0, 10);
  }
  // Only a verified real-name reporter is owed a personal answer (anonymous ones read it by code).
  if (status === 'concluded' && lead.verifiedRealName) return addWorkingDays(rules.calendar, day, rules.deadlines.feedbackWorkingDays);
  return null;
}
