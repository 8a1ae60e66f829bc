import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import type { Test } from 'tap';
import { buildApp } from '../src/app.js';
import { loadCampaign, type Campaign } from '../src/campaign.js';
import { loadConfig, type Config } from '../src/config.js';
import { connectDatabase, type DatabaseHandle } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { loadCalendar } from '../src/leads/calendar.js';

// Every test file gets its own fresh database: a new database on the server named by
// TEST_DATABASE_URL (as CI does), or else an in-memory embedded PGlite.

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export function serverUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

export async function testDatabase(t: Test): Promise<DatabaseHandle & { url?: string }> {
  const base = serverUrl();
  if (!base) {
    const handle = await connectDatabase({ kind: 'pglite', dataDir: null });
    await migrate(handle.pool);
    t.teardown(() => handle.close());
    return handle;
  }
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await connectDatabase({ kind: 'pg', url: url.toString(), poolSize: 5 });
  await migrate(handle.pool);
  t.teardown(async () => {
    await handle.close();
    const drop = new pg.Client({ connectionString: base });
    await drop.connect();
    await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await drop.end();
  });
  return { ...handle, url: url.toString() };
}

export function testConfig(env: Record<string, string> = {}): Config {
  // Password hashing at its cheapest: tests exercise the logic, not the cost. The mail job's timer
  // is set beyond any test's length: tests that send mail call app.mailer.drain() themselves.
  return loadConfig({
    APP_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', MAIL_POLL_SECONDS: '3600', ...env,
  });
}

export const campaign: Campaign = loadCampaign('config/campaign.json');
export const calendar = loadCalendar('config/cn-public-holidays.json');

export interface TestApp {
  app: Awaited<ReturnType<typeof buildApp>>;
  database: DatabaseHandle;
  /** Every log line the app wrote. */
  logs: string[];
}

export async function testApp(
  t: Test,
  opts: { env?: Record<string, string>; database?: DatabaseHandle } = {},
): Promise<TestApp> {
  const database = opts.database ?? (await testDatabase(t));
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp(testConfig(opts.env), { database, campaign, calendar, logStream });
  t.teardown(() => app.close());
  return { app, database, logs };
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The hidden submission token from the report form's HTML. */
export function tokenFrom(html: string): string {
  const m = /name="token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no token in page');
  return m[1]!;
}

/** The tracking code (digits only) from a receipt page. */
export function codeFrom(html: string): string {
  const m = /id="tracking-code">([\d ]+)</.exec(html);
  if (!m) throw new Error('no code in page');
  return m[1]!.replace(/ /g, '');
}

export const VALID_REPORT = {
  category: 'integrity',
  description: '村干部以协调费的名义收了我家500元，说不交就不给批危房补助。',
};

// --- Shared by the security, errors, limits, outage and anonymity tests -------------------------

/** The hotline number every error page and error body must show (config/campaign.json). */
export const HOTLINE = campaign.hotlines[0]!.number;

/** Every table of the public schema, sorted. */
export async function publicTables(db: DatabaseHandle['db']): Promise<string[]> {
  const r = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  return r.rows.map((row) => row.table_name);
}

/** The number of rows in every table of the public schema. */
export async function rowCounts(db: DatabaseHandle['db']): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await publicTables(db)) {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
    counts[table] = Number(r.rows[0]!.n);
  }
  return counts;
}

/**
 * Every value in every column of every public table as text: bytea both as hex and in escape
 * form, everything else cast to text. Each entry is labelled "table.column".
 */
export async function allStoredValues(db: DatabaseHandle['db']): Promise<{ where: string; text: string }[]> {
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
    SELECT table_name, column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`.execute(db);
  const out: { where: string; text: string }[] = [];
  for (const c of columns.rows) {
    const col = sql.ref(c.column_name);
    const forms =
      c.data_type === 'bytea'
        ? [sql<string>`encode(${col}, 'hex')`, sql<string>`encode(${col}, 'escape')`]
        : [sql<string>`${col}::text`];
    for (const form of forms) {
      const r = await sql<{ v: string | null }>`SELECT ${form} AS v FROM ${sql.table(c.table_name)}`.execute(db);
      for (const row of r.rows) if (row.v !== null) out.push({ where: `${c.table_name}.${c.column_name}`, text: row.v });
    }
  }
  return out;
}

/** Where any of the needles occurs (case-insensitive) in the haystacks: [] when nowhere. */
export function findNeedles(haystacks: { where: string; text: string }[], needles: string[]): string[] {
  const found: string[] = [];
  for (const h of haystacks) {
    const text = h.text.toLowerCase();
    for (const n of needles) if (n && text.includes(n.toLowerCase())) found.push(`${JSON.stringify(n)} in ${h.where}`);
  }
  return found;
}

export interface TcpProxy {
  port: number;
  /** Drops every open connection and stops accepting new ones (connections are refused). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 (random port) in front of host:port, to simulate a database outage. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  const cut = async () => {
    const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const s of sockets) s.destroy();
    await closed;
  };
  return { port, cut, restore: async () => void (await listen(port)), close: cut };
}
