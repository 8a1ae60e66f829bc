import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import type { Test } from 'tap';
import { buildApp } from '../src/app.js';
import { loadCampaign, type Campaign } from '../src/campaign.js';
import { loadConfig, type Config } from '../src/config.js';
import { connectDatabase, type DatabaseHandle } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';

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
  return loadConfig({ APP_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ...env });
}

export const campaign: Campaign = loadCampaign('config/campaign.json');

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
  const app = await buildApp(testConfig(opts.env), { database, campaign, logStream });
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
