import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CalendarStore } from '../leads/calendar-store.js';
import { deleteReceiptsBefore } from '../reports/repository.js';

const HOUR = 3_600_000;

/**
 * Housekeeping on timers; running them on several instances at once is harmless. Receipts (which
 * let a repeated submission show its code again) are kept one day. The working-day calendar is
 * re-read so that days an admin entered on another instance apply here too.
 */
export default fp(
  async (app, opts: { db: Kysely<Database>; calendar: CalendarStore }) => {
    const timers = [
      setInterval(() => {
        deleteReceiptsBefore(opts.db, new Date(Date.now() - 24 * HOUR)).catch((err) => app.log.warn({ err }, 'receipt clean-up failed'));
      }, HOUR),
      setInterval(() => {
        opts.calendar.refresh().catch((err) => app.log.warn({ err }, 'calendar refresh failed'));
      }, 5 * 60_000),
    ];
    for (const timer of timers) timer.unref();
    app.addHook('onClose', async () => timers.forEach(clearInterval));
  },
  { name: 'jobs' },
);
