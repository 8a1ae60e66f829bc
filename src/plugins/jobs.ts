import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { deleteReceiptsBefore } from '../reports/repository.js';

const HOUR = 3_600_000;

/**
 * Housekeeping on a timer. Receipts (which let a repeated submission show its code again) are
 * kept one day; running this on several instances at once is harmless.
 */
export default fp(
  async (app, opts: { db: Kysely<Database> }) => {
    const timer = setInterval(() => {
      deleteReceiptsBefore(opts.db, new Date(Date.now() - 24 * HOUR)).catch((err) =>
        app.log.warn({ err }, 'receipt clean-up failed'),
      );
    }, HOUR);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'jobs' },
);
