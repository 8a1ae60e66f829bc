import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { MailSettings } from '../config.js';
import type { Database } from '../db/schema.js';
import type { WorkCalendar } from '../calendar/work-calendar.js';
import { createMailer, logSender, smtpSender, type Mailer } from '../mail/mailer.js';
import { noticeRenderer } from '../mail/messages.js';

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer;
  }
}

export interface MailPluginOptions {
  db: Kysely<Database>;
  settings: MailSettings;
  publicUrl: string;
  /** The calendar in force (admins extend it while the app runs). */
  calendar: { readonly current: WorkCalendar };
}

/**
 * The outbox's background job: every MAIL_POLL_SECONDS, the daily digest when it is due, then the
 * drain. Mail is never sent in a request: requests only enqueue (see src/mail/repository.ts).
 */
export default fp(
  async (app, opts: MailPluginOptions) => {
    const { settings } = opts;
    const sender = settings.smtpUrl ? smtpSender(settings.smtpUrl, settings.from!) : logSender(app.log);
    if (!settings.smtpUrl) app.log.info('SMTP_URL is unset: staff notices are written to the log (recipient and subject), not sent');
    const mailer = createMailer({
      db: opts.db,
      sender,
      render: noticeRenderer(opts.publicUrl),
      get calendar() {
        return opts.calendar.current;
      },
      maxAttempts: settings.maxAttempts,
      digestHour: settings.digestHour,
      log: app.log,
    });
    app.decorate('mailer', mailer);

    let running: Promise<void> | null = null;
    const timer = setInterval(() => {
      if (running) return; // a slow run is never overlapped by the next one
      running = mailer
        .tick()
        .catch((err) => app.log.warn({ err }, 'mail outbox run failed'))
        .finally(() => {
          running = null;
        });
    }, settings.pollMs);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      mailer.stop();
      await running;
      sender.close();
    });
  },
  { name: 'mail' },
);
