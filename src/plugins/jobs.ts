import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { CampaignStore } from '../campaign/store.js';
import type { StaffSettings } from '../config.js';
import { JOBS, runExclusive } from '../db/exclusive.js';
import type { Database } from '../db/schema.js';
import type { CalendarStore } from '../calendar/store.js';
import { deleteReceiptsBefore } from '../reports/repository.js';
import { deleteExpiredSessions } from '../staff/repository.js';

const HOUR = 3_600_000;

/**
 * Housekeeping on timers. The clean-ups run under an advisory lock, so with several instances only
 * one of them works at a time (the others skip that round). Receipts (which let a repeated
 * submission show its code again) are kept one day; expired staff sessions, already refused,
 * are deleted. The working-day calendar is
 * re-read so that days an admin entered on another instance apply here too, and so are the
 * campaign settings (every minute: a new hotline number should not wait long).
 */
export default fp(
  async (app, opts: { db: Kysely<Database>; calendar: CalendarStore; campaign: CampaignStore; staff: StaffSettings }) => {
    const timers = [
      setInterval(() => {
        runExclusive(opts.db, JOBS.receiptCleanup, (trx) => deleteReceiptsBefore(trx, new Date(Date.now() - 24 * HOUR))).catch((err) =>
          app.log.warn({ err }, 'receipt clean-up failed'),
        );
        const now = Date.now();
        runExclusive(opts.db, JOBS.sessionCleanup, (trx) =>
          deleteExpiredSessions(trx, new Date(now - opts.staff.sessionIdleMs), new Date(now - opts.staff.sessionAbsoluteMs)),
        ).catch((err) => app.log.warn({ err }, 'session clean-up failed'));
      }, HOUR),
      setInterval(() => {
        opts.calendar.refresh().catch((err) => app.log.warn({ err }, 'calendar refresh failed'));
      }, 5 * 60_000),
      setInterval(() => {
        opts.campaign.refresh().catch((err) => app.log.warn({ err }, 'campaign settings refresh failed'));
      }, 60_000),
    ];
    for (const timer of timers) timer.unref();
    app.addHook('onClose', async () => timers.forEach(clearInterval));
  },
  { name: 'jobs' },
);
