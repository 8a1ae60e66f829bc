import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import { JOBS, runExclusive } from '../db/exclusive.js';
import type { Database } from '../db/schema.js';
import { addWorkingDays, chinaDate, isWorkingDay, type WorkCalendar } from '../calendar/work-calendar.js';
import { DUE_SOON_WORKING_DAYS } from '../leads/deadlines.js';
import type { RenderNotice } from './messages.js';

// Built once, not per call (see chinaDate in src/calendar/work-calendar.ts).
const CHINA_HOUR = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' });
import { claimDueNotices, deleteSentBefore, enqueueDigests, expandPendingNotices, markFailed, markSent } from './repository.js';

// Sends what the outbox holds. Several instances may drain at once: each notice is claimed by one
// of them (SKIP LOCKED) under a lease, sent outside any transaction, then marked sent; a failure
// schedules a retry with exponential backoff, and nothing unsent is ever deleted.

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export function smtpSender(url: string, from: string): MailSender {
  // Short timeouts: a hanging server must not outlast a claim's lease (nodemailer waits minutes by default).
  const transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    close: () => transport.close(),
  };
}

/** Dev mode (no SMTP_URL): the log gets the recipient and the subject, never the body. */
export function logSender(log: FastifyBaseLogger): MailSender {
  return {
    async send(m) {
      log.info({ mail: { to: m.to, subject: m.subject } }, 'mail not sent (SMTP_URL is unset)');
    },
    close() {},
  };
}

const MINUTE = 60_000;
const BATCH = 10;
const MAX_BATCHES = 50;
// Longer than a batch can take to send (BATCH × the transport's timeouts), so no other instance
// claims a notice again while it is still being sent.
const LEASE_MS = 10 * MINUTE;
const KEEP_SENT_MS = 30 * 24 * 60 * MINUTE;

/** 30 s, 1 min, 2 min, … doubling up to an hour between attempts. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 60 * MINUTE);
}

/** Errors about one message (a refused recipient); any other error means the server is unusable for now. */
const MESSAGE_ERRORS = new Set(['EENVELOPE', 'EMESSAGE']);

/** The hour of the day (0–23) in China. */
export function chinaHour(at: Date): number {
  return Number(CHINA_HOUR.format(at));
}

/** Whether the daily digest is due at `now`: a working day in China, from `hour` on, not yet run today. */
export function digestDue(cal: WorkCalendar, hour: number, lastRunDay: string | null, now: Date): boolean {
  const today = chinaDate(now);
  return today !== lastRunDay && chinaHour(now) >= hour && isWorkingDay(cal, today);
}

export interface MailerDeps {
  db: Kysely<Database>;
  sender: MailSender;
  render: RenderNotice;
  calendar: WorkCalendar;
  maxAttempts: number;
  digestHour: number;
  log: FastifyBaseLogger;
}

export interface DrainResult {
  sent: number;
  failed: number;
  gaveUp: number;
}

export interface Mailer {
  /** Sends every notice due now, or at `at` (tests pass a later time instead of waiting for backoff). */
  drain(at?: Date): Promise<DrainResult>;
  /**
   * Enqueues today's digests (at most one per user and day, whoever runs it); null when another
   * instance is enqueuing them at this moment.
   */
  enqueueDigests(now?: Date): Promise<number | null>;
  /** One run of the background job: the digest when it is due, then the drain. */
  tick(now?: Date): Promise<void>;
  /** Makes a running drain stop after the message in hand (shutdown); the rest waits for the next start. */
  stop(): void;
}

export function createMailer(deps: MailerDeps): Mailer {
  const { db, log } = deps;
  let lastDigestDay: string | null = null;
  let lastCleanupDay: string | null = null;
  let stopped = false;

  async function drain(at?: Date): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, failed: 0, gaveUp: 0 };
    // One instance at a time: two expanding at once would each lock part of the pending rows and
    // each send every recipient a notice of its own part ("3 new leads", then "2 new leads"). An
    // instance that finds another expanding goes on to send; what arrives meanwhile waits for the
    // next drain.
    await runExclusive(db, JOBS.noticeExpansion, (trx) => expandPendingNotices(trx, at ?? null));
    for (let batch = 0; batch < MAX_BATCHES && !stopped; batch++) {
      const claimed = await claimDueNotices(db, at ?? null, LEASE_MS, BATCH);
      let serverError: string | null = null;
      for (const notice of claimed) {
        // Claimed but not tried: left under its lease, to be sent once that runs out.
        if (stopped) break;
        if (!notice.email) {
          await markFailed(db, notice.id, 'the recipient is disabled or has no email address', null);
          result.gaveUp++;
          continue;
        }
        let error: string | null = serverError;
        if (error === null) {
          try {
            await deps.sender.send({ to: notice.email, ...deps.render(notice.kind, notice.payload) });
          } catch (err) {
            const e = err as { code?: string; message?: string };
            error = `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}`;
            // The rest of the batch would fail the same way: retry it all later rather than wait
            // for each to time out.
            if (!MESSAGE_ERRORS.has(e.code ?? '')) serverError = error;
          }
        }
        if (error === null) {
          // Should this fail (database gone), the row stays leased and is sent again after the
          // lease: at least once, as any mailer that cannot make SMTP and the database one step.
          await markSent(db, notice.id);
          result.sent++;
          continue;
        }
        const retryMs = notice.attempts >= deps.maxAttempts ? null : retryDelayMs(notice.attempts);
        await markFailed(db, notice.id, error, retryMs, at ?? null);
        if (retryMs !== null) result.failed++;
        else {
          result.gaveUp++;
          log.error({ outboxId: notice.id, attempts: notice.attempts }, 'mail given up after the maximum attempts (kept in mail_outbox)');
        }
      }
      if (serverError) log.warn({ error: serverError }, 'mail server unavailable; notices will be retried');
      if (claimed.length < BATCH || serverError) break;
    }
    return result;
  }

  // The digest and the clean-up run under advisory locks: one instance at a time. An instance that
  // finds the lock taken tries again at its next tick (the digest is deduplicated per user and day).
  async function digests(now = new Date()): Promise<number | null> {
    const today = chinaDate(now);
    const horizon = addWorkingDays(deps.calendar, today, DUE_SOON_WORKING_DAYS);
    return runExclusive(db, JOBS.digest, (trx) => enqueueDigests(trx, { today, horizon }));
  }

  return {
    drain,
    enqueueDigests: digests,
    async tick(now = new Date()) {
      if (digestDue(deps.calendar, deps.digestHour, lastDigestDay, now) && (await digests(now)) !== null) {
        lastDigestDay = chinaDate(now);
      }
      if (lastCleanupDay !== chinaDate(now)) {
        const cleaned = await runExclusive(db, JOBS.sentMailCleanup, (trx) => deleteSentBefore(trx, new Date(now.getTime() - KEEP_SENT_MS)));
        if (cleaned !== null) lastCleanupDay = chinaDate(now);
      }
      await drain();
    },
    stop() {
      stopped = true;
    },
  };
}
