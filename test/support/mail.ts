import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sql } from 'kysely';
import type { Test } from 'tap';
import type { DatabaseHandle } from '../../src/db/connect.js';
import type { StaffRole } from '../../src/db/schema.js';
import { createStaff } from '../../src/staff/service.js';
import { testConfig } from './app.js';
import { STAFF_PASSWORD } from './staff.js';

// A real SMTP server on loopback (smtp-server) that keeps every message it accepts, and helpers to
// read them back (mailparser).

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO). */
  to: string[];
  /** The message exactly as it arrived over SMTP. */
  raw: string;
}

export interface TestSmtp {
  port: number;
  /** The SMTP_URL and MAIL_FROM an app needs to send here. */
  env: Record<string, string>;
  received: ReceivedMail[];
  /** Starts accepting on `port` (again). */
  start(): Promise<void>;
  /** Stops listening and drops open connections: clients get "connection refused". */
  stop(): Promise<void>;
}

/** A port nobody listens on now (for servers started later in a test). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * An SMTP server on 127.0.0.1, stopped in t.teardown. With `started: false` it only reserves a
 * port (nothing listens: the mail server is "down" until start()). `delayMs` slows every message
 * down, so that concurrent senders overlap; addresses in `refuse` are refused (550) at RCPT TO.
 */
export async function testSmtp(t: Test, opts: { started?: boolean; delayMs?: number; refuse?: string[] } = {}): Promise<TestSmtp> {
  const port = await freePort();
  const received: ReceivedMail[] = [];
  let server: SMTPServer | null = null;
  const stop = async () => {
    const s = server;
    server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  const start = async () => {
    if (server) return;
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // Close at once rather than wait for clients to leave.
      closeTimeout: 100,
      onRcptTo(address, _session, callback) {
        if (opts.refuse?.includes(address.address)) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const done = () => {
            received.push({ to: session.envelope.rcptTo.map((a) => a.address), raw: Buffer.concat(chunks).toString('utf8') });
            callback();
          };
          if (opts.delayMs) setTimeout(done, opts.delayMs);
          else done();
        });
      },
    });
    s.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    server = s;
  };
  if (opts.started !== false) await start();
  t.teardown(stop);
  return {
    port,
    env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: '线索平台 <noreply@xiansuo.test>' },
    received,
    start,
    stop,
  };
}

export function parseMail(mail: ReceivedMail): Promise<ParsedMail> {
  return simpleParser(mail.raw);
}

/** Every form in which a message could show a string: raw source, decoded headers, text and HTML. */
export async function mailTexts(mail: ReceivedMail): Promise<{ where: string; text: string }[]> {
  const parsed = await parseMail(mail);
  const headers = [...parsed.headers.entries()].map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [
    { where: 'raw source', text: mail.raw },
    { where: 'headers', text: headers.join('\n') },
    { where: 'subject', text: parsed.subject ?? '' },
    { where: 'text part', text: parsed.text ?? '' },
    { where: 'html part', text: typeof parsed.html === 'string' ? parsed.html : '' },
    ...parsed.attachments.map((a, i) => ({ where: `attachment ${i}`, text: a.content.toString('utf8') })),
  ];
}

/** How many messages each address received. */
export function countByRecipient(received: ReceivedMail[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of received) for (const to of m.to) counts[to] = (counts[to] ?? 0) + 1;
  return counts;
}

/** A staff account with an email address (or none), optionally disabled. */
export async function addMailStaff(
  db: Parameters<typeof createStaff>[0],
  username: string,
  role: StaffRole,
  opts: { email?: string | null; disabled?: boolean } = {},
) {
  const email = opts.email === undefined ? `${username}@xiansuo.test` : opts.email;
  const user = await createStaff(db, testConfig().staff.password, { username, role, ...(email ? { email } : {}) }, STAFF_PASSWORD, null);
  if (opts.disabled) await db.updateTable('staff_users').set({ disabled: true }).where('id', '=', user.id).execute();
  return { id: user.id, email };
}

/**
 * The usual staff: who must get a new-lead notice (an admin and an investigator with addresses)
 * and who must not (an investigator without one, a disabled investigator, a clerk, a viewer).
 */
export async function addUsualStaff(db: Parameters<typeof createStaff>[0]) {
  return {
    admin: await addMailStaff(db, 'admin1', 'admin'),
    investigator: await addMailStaff(db, 'inv1', 'investigator'),
    noEmail: await addMailStaff(db, 'inv2', 'investigator', { email: null }),
    disabled: await addMailStaff(db, 'inv3', 'investigator', { disabled: true }),
    clerk: await addMailStaff(db, 'clerk1', 'clerk'),
    viewer: await addMailStaff(db, 'viewer1', 'viewer'),
  };
}

/**
 * The hour a reporter's notice waits for (migrations/015_coarse_times.sql) has passed: tests that
 * send the notices a report or a follow-up causes call this before draining.
 */
export async function releaseHeldNotices(db: DatabaseHandle['db']): Promise<void> {
  await sql`UPDATE mail_outbox SET next_attempt_at = now() WHERE attempts = 0 AND next_attempt_at > now()`.execute(db);
}
