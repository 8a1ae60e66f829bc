import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { connectDatabase, type DatabaseHandle } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { serverUrl, TEST_SECRET, VALID_REPORT } from './support/app.js';
import { addUsualStaff, countByRecipient, freePort, parseMail, releaseHeldNotices, testSmtp } from './support/mail.js';
import { testRedis } from './support/redis.js';

// Two real server processes, as in production: one PostgreSQL database, one Redis, one SMTP server
// on loopback. Both always run on the PostgreSQL server (two processes cannot share PGlite).

const PG_URL = serverUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const STARTUP_MS = 90_000;

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
}

function startInstance(name: string, port: number, env: Record<string, string>): Instance {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(String(d)));
  child.stderr!.on('data', (d: Buffer) => output.push(String(d)));
  return { name, url: `http://127.0.0.1:${port}`, child, output };
}

async function waitHealthy(instance: Instance): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    if (instance.child.exitCode !== null) throw new Error(`${instance.name} exited: ${instance.output.join('')}`);
    const ok = await fetch(`${instance.url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`${instance.name} did not answer /healthz within ${STARTUP_MS / 1000}s: ${instance.output.join('')}`);
}

async function stop(instance: Instance): Promise<void> {
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** A client behind the proxy (the test itself, on loopback, is the trusted proxy). */
const post = (instance: Instance, path: string, body: unknown, client: string) =>
  fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify(body),
  });

async function freshDatabase() {
  const name = `test_inst_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`This test needs PostgreSQL at ${PG_URL} (${(err as Error).message})`);
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const handle: DatabaseHandle = await connectDatabase({ kind: 'pg', url: url.toString(), poolSize: 2 });
  await migrate(handle.pool);
  const drop = async () => {
    await handle.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  return { url: url.toString(), db: handle.db, drop };
}

t.test('two instances share limits, reports and the mail outbox', async (t) => {
  const redis = await testRedis(t);
  const smtp = await testSmtp(t, { delayMs: 20 });
  const database = await freshDatabase();
  const instances: Instance[] = [];
  // Registered before any process starts, so a failure anywhere still stops them, then drops the database.
  t.teardown(async () => {
    await Promise.all(instances.map(stop));
    await database.drop();
  });
  const staff = await addUsualStaff(database.db);

  const env = {
    DATABASE_URL: database.url, APP_SECRET: TEST_SECRET, ...redis.env, ...smtp.env,
    TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', DB_POOL_SIZE: '4',
    RATE_LIMIT_SUBMISSIONS_PER_HOUR: '2', MAIL_POLL_SECONDS: '1',
  };
  // Each instance signs its mail differently, to see who sent what.
  instances.push(startInstance('A', await freePort(), { ...env, MAIL_FROM: '线索平台 <a@xiansuo.test>' }));
  instances.push(startInstance('B', await freePort(), { ...env, MAIL_FROM: '线索平台 <b@xiansuo.test>' }));
  const [a, b] = instances as [Instance, Instance];
  await Promise.all(instances.map(waitHealthy));

  await t.test('a rate limit hit on one instance holds on the other', async (t) => {
    const client = '198.51.100.7';
    t.equal((await post(a, '/api/v1/reports', VALID_REPORT, client)).status, 201);
    t.equal((await post(b, '/api/v1/reports', VALID_REPORT, client)).status, 201);
    t.equal((await post(a, '/api/v1/reports', VALID_REPORT, client)).status, 429, 'the third, on A');
    t.equal((await post(b, '/api/v1/reports', VALID_REPORT, client)).status, 429, 'and on B');
    t.equal((await post(b, '/api/v1/reports', VALID_REPORT, '198.51.100.70')).status, 201, 'another client is unaffected');
  });

  await t.test('a report made on one is found by code on the other', async (t) => {
    const res = await post(a, '/api/v1/reports', VALID_REPORT, '198.51.100.8');
    t.equal(res.status, 201);
    const { code } = (await res.json()) as { code: string };
    const found = await post(b, '/api/v1/status', { code }, '198.51.100.8');
    t.equal(found.status, 200, 'found on B');
    t.match(await found.json(), { status: String });
  });

  await t.test('a burst of leads over both: every notice is sent exactly once', async (t) => {
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post(i % 2 ? b : a, '/api/v1/reports', VALID_REPORT, `203.0.113.${i + 1}`)),
    );
    t.same([...new Set(burst.map((r) => r.status))], [201], '30 reports accepted');
    const leads = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM reports`.execute(database.db)).rows[0]!.n);
    t.equal(leads, 34);
    await releaseHeldNotices(database.db);

    // Done when nothing waits in the outbox and every notice it sent has arrived.
    const sentNotices = async () => {
      const r = await sql<{ pending: string; sent: string }>`
        SELECT count(*) FILTER (WHERE sent_at IS NULL) AS pending,
               count(*) FILTER (WHERE sent_at IS NOT NULL AND recipient_id IS NOT NULL) AS sent
        FROM mail_outbox`.execute(database.db);
      return { pending: Number(r.rows[0]!.pending), sent: Number(r.rows[0]!.sent) };
    };
    const deadline = Date.now() + 60_000;
    let state = await sentNotices();
    while ((state.pending > 0 || smtp.received.length < state.sent) && Date.now() < deadline) {
      await sleep(250);
      state = await sentNotices();
    }
    t.equal(state.pending, 0, 'the outbox is empty');
    await sleep(3000); // three more polls on each instance: nothing is sent twice
    t.equal(smtp.received.length, (await sentNotices()).sent, 'one message per notice');

    const recipients = countByRecipient(smtp.received);
    t.same(Object.keys(recipients).sort(), [staff.admin.email, staff.investigator.email].sort(), 'to the admin and the investigator only');
    const announced: Record<string, number> = {};
    const senders = new Set<string>();
    for (const mail of smtp.received) {
      const parsed = await parseMail(mail);
      senders.add(parsed.from!.value[0]!.address!);
      const count = Number(/New leads waiting to be reviewed: (\d+)\./.exec(parsed.text ?? '')?.[1]);
      for (const to of mail.to) announced[to] = (announced[to] ?? 0) + count;
    }
    t.same(announced, { [staff.admin.email!]: leads, [staff.investigator.email!]: leads }, 'each lead announced once to each');
    t.comment(`${smtp.received.length} messages, sent by ${[...senders].sort().join(' and ')}`);
  });
});
