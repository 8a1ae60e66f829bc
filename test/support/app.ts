import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { issueFormToken } from '../../src/reports/form-token.js';
import { reportKeys } from '../../src/reports/service.js';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadCampaign, type Campaign } from '../../src/campaign/schema.js';
import { loadConfig, type Config } from '../../src/config.js';
import { connectDatabase, connectPgliteCopy, createPglite, type DatabaseHandle } from '../../src/db/connect.js';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { loadCalendar } from '../../src/calendar/work-calendar.js';

// Every test gets its own fresh, fully migrated database: a new database on the server named by
// TEST_DATABASE_URL (as CI does), or else an in-memory embedded PGlite. Neither runs initdb and the
// migrations for every test: the migrations are applied once to a template (a template database on
// the server, a data-folder archive for PGlite), named after a hash of the migrations, and each
// test's database is a copy of it. test/db/schema.test.ts still applies the whole history itself.

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export function serverUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

export async function testDatabase(t: Test): Promise<DatabaseHandle & { url?: string }> {
  const base = serverUrl();
  if (!base) {
    const handle = await connectPgliteCopy(await migratedPgliteArchive());
    t.teardown(() => handle.close());
    return handle;
  }
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await createFromTemplate(admin, base, name);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await connectDatabase({ kind: 'pg', url: url.toString(), poolSize: 5 });
  t.teardown(async () => {
    await handle.close();
    const drop = new pg.Client({ connectionString: base });
    await drop.connect();
    await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await drop.end();
  });
  return { ...handle, url: url.toString() };
}

/** A hash of every migration file's name and content: a changed migration means a new template. */
function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(`${file}\0`).update(readFileSync(join(MIGRATIONS_DIR, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

// --- PostgreSQL: CREATE DATABASE ... TEMPLATE test_tpl_<hash> ----------------------------------

// Any fixed number (not the migrator's): serializes test processes building the template.
const TEMPLATE_LOCK = 727_202_302;
// Another checkout's run may still copy an older template for a while: leave those that young.
const OLD_TEMPLATE_MS = 15 * 60_000;

let template: Promise<string> | undefined;

/** The migrated template's name, built by the first test process that needs it. */
function pgTemplate(base: string): Promise<string> {
  template ??= buildTemplate(base).catch((err) => {
    template = undefined;
    throw err;
  });
  return template;
}

async function createFromTemplate(admin: pg.Client, base: string, name: string): Promise<void> {
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${await pgTemplate(base)}`);
  } catch (err) {
    // 3D000: the template is gone (dropped by a run with other migrations): build it again, once.
    if ((err as { code?: string }).code !== '3D000') throw err;
    template = undefined;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${await pgTemplate(base)}`);
  }
}

async function buildTemplate(base: string): Promise<string> {
  const name = `test_tpl_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    // Held until this session ends, so a process that dies half-way releases it.
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const existing = await admin.query<{ datname: string; built: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS built FROM pg_database
       WHERE datname LIKE 'test\\_tpl%'`,
    );
    for (const db of existing.rows) {
      if (db.datname === name) continue;
      // A build under way holds the lock, so any other build database is a dead process's leftover.
      // Older templates go once nobody could still be copying them.
      const stale = db.datname.startsWith('test_tplbuild_') || !(Date.now() - Date.parse(db.built ?? '') < OLD_TEMPLATE_MS);
      if (stale) await admin.query(`DROP DATABASE IF EXISTS ${db.datname} WITH (FORCE)`).catch(() => {});
    }
    if (existing.rows.some((db) => db.datname === name)) return name;

    // Built under another name and renamed when complete: nobody ever copies a half-migrated
    // template, and nothing is connected to it while it is copied.
    const building = `test_tplbuild_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${building}`);
    const url = new URL(base);
    url.pathname = `/${building}`;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await admin.query(`COMMENT ON DATABASE ${name} IS '${new Date().toISOString()}'`);
    return name;
  } finally {
    await admin.end();
  }
}

// --- PGlite: a migrated data folder, dumped once and loaded by every test -----------------------

let archive: Promise<Blob> | undefined;

/**
 * The data folder of a migrated in-memory PGlite, as a dumpDataDir archive. Made by the first test
 * process that needs it and kept in the temp folder for the others, keyed by the migrations, the
 * PGlite version and how it is created (createPglite: the extensions).
 */
function migratedPgliteArchive(): Promise<Blob> {
  archive ??= loadOrMakeArchive().catch((err) => {
    archive = undefined;
    throw err;
  });
  return archive;
}

async function loadOrMakeArchive(): Promise<Blob> {
  const main = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const version = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')).version as string;
  const key = createHash('sha256').update(`${version}\0${createPglite.toString()}\0${migrationsHash()}`).digest('hex').slice(0, 16);
  const prefix = 'xiansuo-test-pglite-';
  const file = join(tmpdir(), `${prefix}${key}.tar`);
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    // not made yet
  }
  const pglite = await createPglite(null);
  let dump: Blob;
  try {
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    const pool = new pg.Pool(createPgConfig(pglite) as pg.PoolConfig);
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    dump = await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
  // Written under a private name and renamed: another process reads the whole archive or none.
  const bytes = Buffer.from(await dump.arrayBuffer());
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, bytes);
  renameSync(partial, file);
  for (const other of readdirSync(tmpdir())) {
    const path = join(tmpdir(), other);
    if (!other.startsWith(prefix) || path === file) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > OLD_TEMPLATE_MS) unlinkSync(path);
    } catch {
      // taken care of by another process
    }
  }
  return new Blob([bytes]);
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

/**
 * A report form token as the form page would carry it (src/reports/form-token.ts), for tests that
 * post the form without loading it first; the fields with one added unless they carry their own.
 */
export function withFormToken<T extends Record<string, string>>(fields: T): T & { token: string } {
  return { token: issueFormToken(reportKeys(TEST_SECRET).form), ...fields };
}

/** The tracking code (digits only) from a receipt page. */
export function codeFrom(html: string): string {
  const m = /id="tracking-code">((?:<\/?span[^>]*>|[\d ])+)<\/p>/.exec(html);
  if (!m) throw new Error('no code in page');
  return m[1]!.replace(/<[^>]+>| /g, '');
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
