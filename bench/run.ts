import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { keysUnder } from '../src/limits/redis.js';
import pg from 'pg';
import { loadCampaign } from '../src/campaign/schema.js';
import { formatCode, hashCode } from '../src/lib/codes.js';
import { migrate } from '../src/db/migrate.js';
import { deriveKey } from '../src/lib/secret.js';
import { waitForQuiet } from './lib/cpu.js';
import { measure, measureInTurns, measureMix, measureTogether, type Figures, type MixKind, type Request, type Target } from './lib/load.js';
import { parseOptions, type Options } from './lib/options.js';
import {
  coldStart,
  killAllNow,
  memoryOf,
  runningServers,
  sampleRss,
  startApp,
  startIpcServer,
  stop,
  type Server,
} from './lib/processes.js';
import {
  disturbed,
  mixedFailed,
  mixedProblems,
  printResult,
  uploadSummary,
  verdicts,
  writeDoc,
  type BenchResult,
  type MixedFigures,
  type MixedRun,
  type QueueFigures,
} from './lib/report.js';
import { seedReports } from './lib/seed.js';
import { measureUploads } from './lib/uploads.js';
import { compileQueueQuery, compileStatusQuery, explainQuery, queuePages, staffCookie, type QueuePage } from './lib/queue.js';
import { seedLeads } from '../src/db/seed-leads.js';
import { compileRegisterQueries, importThroughApp, registerCsv, registerPages, registerXlsx, seedHouseholds, staffSession, timeFlagRefresh } from './lib/register.js';
import { printRegister, writeRegisterDoc, type RegisterFigures, type RegisterPageFigures } from './lib/report.js';

// npm run bench: the bare ceilings (limits A, B, C) and the real endpoints, in one run, on a fresh
// PostgreSQL database that is dropped at the end, then a short run of the embedded (PGlite) mode.
// See docs/PERFORMANCE.md for what is measured and why.

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
let opts: Options;
try {
  opts = parseOptions(process.argv.slice(2), process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const APP_DIR = opts.appDir ? resolve(opts.appDir) : ROOT;
const SECRET = randomBytes(32).toString('hex');
const HUGE = '1000000000';
/** Slices of each measured run when targets are measured in turns. */
const TURNS = 5;
const campaign = loadCampaign(join(ROOT, 'config/campaign.json'));
const villages = campaign.villages.map((v) => v.id);

// ---------------------------------------------------------------------------------------------
// Clean-up: servers stopped, bench database dropped, temp folders removed — on success, failure,
// Ctrl-C or time-out alike.

const dbName = `bench_${randomBytes(6).toString('hex')}`;
let dbCreated = false;
/** The mixed load's app instances keep their rate-limit counters under this prefix in Redis. */
const redisPrefix = `${dbName}:`;
let redisUsed = false;
const tempDirs: string[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(runningServers().map((s) => stop(s, 5_000)));
    if (dbCreated) {
      const admin = new pg.Client({ connectionString: opts.adminUrl });
      try {
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        dbCreated = false;
      } catch (err) {
        console.error(`Could not drop database ${dbName}: ${(err as Error).message}`);
      } finally {
        await admin.end().catch(() => {});
      }
    }
    if (redisUsed) {
      await deleteRedisKeys().then(
        () => (redisUsed = false),
        (err: unknown) => console.error(`Could not delete the Redis keys ${redisPrefix}*: ${(err as Error).message}`),
      );
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

/** A short-lived connection to the bench's Redis; never retries (the bench reports instead). */
async function withRedis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(opts.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** The keys under this run's prefix (the instances' rate-limit counters). */
function redisKeys(): Promise<string[]> {
  return withRedis((redis) => keysUnder(redis, redisPrefix));
}

async function deleteRedisKeys(): Promise<void> {
  const keys = await redisKeys();
  if (keys.length) await withRedis((redis) => redis.del(...keys));
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
const watchdog = setTimeout(() => {
  console.error(`Bench did not finish within ${opts.timeout} s: cleaning up`);
  void cleanup().finally(() => process.exit(1));
}, opts.timeout * 1000);
watchdog.unref();

const step = (text: string) => console.log(`» ${text}`);
const summary = (f: Figures) =>
  `${Math.round(f.rps)} req/s, p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ${f.errors} errors, ${f.non2xx} non-2xx` +
  (f.cpu
    ? `; CPU per request: server ${Math.round(f.cpu.server)} µs, PostgreSQL ${Math.round(f.cpu.postgres)} µs, ` +
      `load generator ${Math.round(f.cpu.loadGenerator)} µs, other ${Math.round(f.cpu.other)} µs`
    : '');

/** Other programs on this machine skew every figure: wait for them (a while), and say so. */
async function quiet(): Promise<void> {
  if (opts.quietWait <= 0) return;
  const q = await waitForQuiet(opts.quietWait * 1000);
  busiest = Math.max(busiest, q.busy);
  if (q.busy > 0.15) {
    console.warn(`  warning: the machine is ${Math.round(q.busy * 100)}% busy before this step (${q.top.join(', ')}); figures may be low`);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

const FORM = { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'zh-CN,zh;q=0.9' };
const JSON_TYPE = { 'content-type': 'application/json', 'accept-language': 'zh-CN,zh;q=0.9' };

/** What the report form sends (category, typical form, village, subject, ~50 characters, period, amount). */
const SUBMISSION = JSON.stringify({
  category: 'integrity',
  typicalForm: 'fees',
  village: villages[0],
  subject: '某村村主任',
  description: '村干部以协调费的名义收了我家500元，说不交就不给批危房补助。同村还有好几户也交了，都没有收据。',
  period: '2023-05',
  amount: '500',
});

/** The app under test, on the bench database, rate limits lifted (they count per client address). */
function appEnvironment(dbUrl: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    APP_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: String(opts.poolSize),
    RATE_LIMIT_SUBMISSIONS_PER_HOUR: HUGE,
    RATE_LIMIT_LOOKUPS_PER_15_MIN: HUGE,
    RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: HUGE,
  };
}

/**
 * A bare page route must render the page the app renders: for one seeded code, its size is within
 * 2% of the app's (only the view token, sealed afresh by the app, differs in content). On a
 * mismatch both pages are left in the temp folder to compare.
 */
async function samePage(what: string, bareUrl: string, app: Server, code: string): Promise<void> {
  const mine = await fetch(`${app.url}/status`, { method: 'POST', headers: FORM, body: new URLSearchParams({ code }) });
  const bare = await fetch(bareUrl);
  const [a, b] = [await mine.text(), await bare.text()];
  const [na, nb] = [Buffer.byteLength(a), Buffer.byteLength(b)];
  if (bare.status !== 200 || Math.abs(na - nb) > 0.02 * na) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-page-'));
    writeFileSync(join(dir, 'app.html'), a);
    writeFileSync(join(dir, 'bare.html'), b);
    throw new Error(`${what}: the bare route answered ${bare.status} with ${nb} bytes, the app ${na} (both in ${dir})`);
  }
}

function rotate<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

/** A fresh Idempotency-Key per request, as a form page carries a fresh token. */
function keys(): () => string {
  const run = randomBytes(6).toString('base64url');
  let n = 0;
  return () => `${run}-${(n++).toString(36).padStart(10, '0')}`;
}

function statusRequest(codes: string[]): Request {
  const bodies = rotate(codes.map((c) => new URLSearchParams({ code: formatCode(c) }).toString()));
  return { method: 'POST', path: '/status', headers: FORM, next: () => ({ body: bodies() }) };
}

function statusTarget(name: string, app: Server, codes: string[]): Target {
  return { name, url: app.url, ...statusRequest(codes) };
}

function submissionRequest(): Request {
  const key = keys();
  return {
    method: 'POST',
    path: '/api/v1/reports',
    headers: JSON_TYPE,
    body: SUBMISSION,
    next: () => ({ headers: { 'idempotency-key': key() } }),
  };
}

function submissionTarget(name: string, app: Server): Target {
  return { name, url: app.url, ...submissionRequest() };
}

/** Runs `fn` over `items` with `concurrency` workers. */
async function pool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------

async function postgresPart() {
  if (opts.mixed) {
    // Checked first: finding Redis missing after the slow steps would waste the run.
    await withRedis((redis) => redis.ping()).catch((err: unknown) => {
      throw new Error(
        `The mixed load needs Redis at ${opts.redisUrl} (${(err as Error).message}): start it ` +
          "(redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '') or pass --no-mixed",
      );
    });
  }
  const admin = new pg.Client({ connectionString: opts.adminUrl });
  await admin.connect();
  const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v.replace(/ on .*$/, '');
  const sharedBuffers = (await admin.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers;
  const stale = (await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'")).rows;
  if (stale.length) {
    console.warn(`  note: databases left by an interrupted run? ${stale.map((r) => r.datname).join(', ')} (DROP DATABASE … WITH (FORCE) when unused)`);
  }
  const dbUrl = await createBenchDatabase(admin);

  step(`migrating and seeding ${opts.reports.toLocaleString('en-US')} reports`);
  const seedPool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  let seed;
  try {
    await migrate(seedPool);
    seed = await seedReports(seedPool, SECRET, villages, { reports: opts.reports, keep: opts.lookupCodes });
  } finally {
    await seedPool.end();
  }

  step(`starting the app (${APP_DIR === ROOT ? '' : APP_DIR + '/'}dist/server.js) on PostgreSQL, rate limits lifted`);
  const app = await startApp('app (PostgreSQL)', APP_DIR, appEnvironment(dbUrl));
  const idle = memoryOf(app.pid)?.rss ?? NaN;
  const appRss = sampleRss(app.pid);

  // Every kept code must be found by the app (proves the seed hashes codes as the app does), and
  // the pages' size sets limit A's.
  step(`checking the ${seed.codes.length} lookup codes against the app`);
  const pages = await pool(seed.codes, opts.connections, async (code) => {
    const res = await fetch(`${app.url}/status`, { method: 'POST', headers: FORM, body: new URLSearchParams({ code }) });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`seeded code not found by the app: HTTP ${res.status}`);
    return body;
  });
  const pageBytes = Math.round(pages.reduce((s, p) => s + p.length, 0) / pages.length);
  // Limit A's page: the largest real page not above the average size (there is always one),
  // padded with spaces to it, so it is never cut inside a character.
  const nearest = pages.filter((p) => p.length <= pageBytes).reduce((a, b) => (b.length > a.length ? b : a));
  const page = Buffer.alloc(pageBytes, ' ');
  nearest.copy(page);

  const staffPages = queuePages(villages[0]!);
  const queueQueries = staffPages.map((p) => ({ ...compileQueueQuery(p.filters), filters: p.filters }));
  step('starting the bare limits server (bench/servers/limits.ts)');
  const limitsEnv = {
    BENCH_DATABASE_URL: dbUrl,
    BENCH_POOL_SIZE: String(opts.poolSize),
    BENCH_PAGE: page.toString('base64'),
    BENCH_QUEUE_QUERIES: JSON.stringify(queueQueries),
    BENCH_STATUS_SQL: compileStatusQuery(),
  };
  const limits = await startIpcServer('limits', ROOT, 'bench/servers/limits.ts', limitsEnv);

  const codeKey = deriveKey(SECRET, 'tracking-code');
  const hashPaths = rotate(seed.codes.map((c) => `/b/${hashCode(codeKey, c).toString('hex')}`));
  const load = { connections: opts.connections, warmup: opts.warmup, duration: opts.duration };
  const run = async (target: Target, server: Server): Promise<Figures> => {
    await quiet();
    step(`${target.name}: ${opts.warmup} s warm-up, ${opts.duration} s measured`);
    const f = await measure(target, { ...load, serverPid: server.pid });
    console.log(`  ${summary(f)}`);
    if (disturbed(f)) console.warn('  warning: other programs used a fifth or more of the CPU during this step; its figure is low');
    return f;
  };

  const inTurns = async (targets: { target: Target; server: Server }[]): Promise<Figures[]> => {
    await quiet();
    const names = targets.map((t) => t.target.name).join(', ');
    step(`${names} in turns: ${opts.warmup} s warm-up each, then ${opts.duration} s each in ${TURNS} slices`);
    const all = await measureInTurns(
      targets.map((t) => ({ target: t.target, serverPid: t.server.pid })),
      { ...load, slices: TURNS },
    );
    for (const f of all) {
      console.log(`  ${f.name}: ${summary(f)}`);
      if (disturbed(f)) console.warn(`  warning: other programs used a fifth or more of the CPU during ${f.name}; its figure is low`);
    }
    return all;
  };

  // Reads before writes, so the lookups see the seeded table; each ceiling in turns with the figure compared with it.
  const limitA = await run({ name: 'limit A', url: limits.url, method: 'GET', path: '/a' }, limits);
  await samePage('status result page', `${limits.url}/b2/${hashCode(codeKey, seed.codes[0]!).toString('hex')}`, app, seed.codes[0]!);
  const fairPaths = rotate(seed.codes.map((c) => `/b2/${hashCode(codeKey, c).toString('hex')}`));
  // The lookup and its two ceilings in turns (load.ts, measureInTurns): their ratios are the targets.
  const [limitB, limitBPrime, status] = await inTurns([
    { target: { name: 'limit B', url: limits.url, method: 'GET', next: () => ({ path: hashPaths() }) }, server: limits },
    { target: { name: 'limit B′', url: limits.url, method: 'GET', next: () => ({ path: fairPaths() }) }, server: limits },
    { target: statusTarget('status lookup', app, seed.codes), server: app },
  ]) as [Figures, Figures, Figures];
  const [limitC, submission] = await inTurns([
    { target: { name: 'limit C', url: limits.url, method: 'POST', path: '/c', headers: JSON_TYPE, body: SUBMISSION }, server: limits },
    { target: submissionTarget('submission', app), server: app },
  ]) as [Figures, Figures];
  // Issue 2's memory target is for these two loads; the queue's pages at a million leads are
  // reported on their own.
  const peakUnderLoad = appRss.stop();
  const hwm = memoryOf(app.pid)?.hwm ?? NaN;

  // One investigator's session, for the mixed load's and the queue's pages.
  let staff: string | undefined;
  const cookie = async () => (staff ??= await staffCookie(dbUrl));

  // The mixed load, on the table as the runs above left it (before the queue's leads are seeded).
  const mixed = opts.mixed
    ? await mixedPart({ dbUrl, codes: seed.codes, limits, limitsEnv, hashPaths, cookie: await cookie(), staffPages })
    : undefined;

  // The staff queue at each size: leads seeded up to it, then each page against its bare query.
  const queue: QueueFigures[] = [];
  let queuePeak: number | undefined;
  if (opts.queueLeads.length) {
    const queueRss = sampleRss(app.pid);
    const cookieHeader = await cookie();
    const leadPool = new pg.Pool({ connectionString: dbUrl, max: 2 });
    try {
      for (const size of opts.queueLeads) {
        const have = Number((await leadPool.query<{ n: string }>('SELECT count(*) AS n FROM reports')).rows[0]!.n);
        step(`seeding leads up to ${size.toLocaleString('en-US')} (${(size - have).toLocaleString('en-US')} more)`);
        if (size > have) await seedLeads(leadPool, size - have);
        // A queue this size in steady state: autovacuum would have set the visibility map by now.
        await leadPool.query('VACUUM ANALYZE reports');
        for (const [i, p] of staffPages.entries()) {
          const [bare, fair, real] = await inTurns([
            { target: { name: `limit Q: ${p.name}, ${size} leads`, url: limits.url, method: 'GET', path: `/q/${i}` }, server: limits },
            { target: { name: `limit Q′: ${p.name}, ${size} leads`, url: limits.url, method: 'GET', path: `/q2/${i}` }, server: limits },
            { target: { name: `queue ${p.name}, ${size} leads`, url: app.url, method: 'GET', path: p.path, headers: { cookie: cookieHeader } }, server: app },
          ]) as [Figures, Figures, Figures];
          queue.push({ leads: size, page: p.name, path: p.path, bare, fair, app: real, plan: await explainQuery(leadPool, queueQueries[i]!) });
        }
      }
    } finally {
      queuePeak = queueRss.stop();
      await leadPool.end();
    }
  }

  // Last, after the memory figures above are taken: photos are decoded, so uploads have a memory
  // target of their own (bench/lib/uploads.ts).
  await quiet();
  step('uploads: a report with one 3 MB photo, 20 one after the other, then 10 at once');
  const uploads = await measureUploads(app.url, app.pid);
  console.log(`  ${uploadSummary(uploads)}`);
  const register = opts.register ? await registerPart(dbUrl, app, limits) : undefined;
  await stop(limits);
  await stop(app);
  await quiet();
  step('cold start: npm start on the migrated database, until the first 200 on /');
  const coldStartMs = await coldStart(APP_DIR, appEnvironment(dbUrl));
  console.log(`  ${(coldStartMs / 1000).toFixed(2)} s`);
  return {
    coldStartMs,
    postgres: { version, sharedBuffers },
    seed: { reports: seed.reports, updates: seed.updates, codes: seed.codes.length },
    pageBytes,
    limitA,
    limitB,
    limitBPrime,
    limitC,
    status,
    submission,
    queue,
    ...(mixed ? { mixed } : {}),
    pgMemory: { idle, peakUnderLoad, hwm, ...(queuePeak !== undefined ? { queuePeak } : {}) },
    uploads,
    register,
  };
}

/** The mix: 80% status lookups, 15% submissions, 5% staff queue pages (the first and the filtered in turn). */
const MIX = { lookup: 16, submission: 3, queue: 1 };

/**
 * The mixed load against one app instance, then two (another port, same database), each run right
 * after the same cycle against the bare routes in as many limits processes. The instances share
 * their rate-limit counters in Redis as in production (thresholds lifted, as for the app above).
 */
async function mixedPart(p: {
  dbUrl: string;
  codes: string[];
  limits: Server;
  limitsEnv: Record<string, string>;
  hashPaths: () => string;
  cookie: string;
  staffPages: QueuePage[];
}): Promise<MixedFigures> {
  const staffPath = rotate(p.staffPages.map((page) => page.path));
  const queuePage: Request = { method: 'GET', headers: { cookie: p.cookie }, next: () => ({ path: staffPath() }) };
  const appKinds: MixKind[] = [
    { name: 'status lookup', weight: MIX.lookup, request: statusRequest(p.codes) },
    { name: 'submission', weight: MIX.submission, request: submissionRequest() },
    { name: 'staff queue page', weight: MIX.queue, request: queuePage },
  ];
  const barePath = rotate(p.staffPages.map((_, i) => `/q/${i}`));
  const bareKinds: MixKind[] = [
    { name: 'limit B', weight: MIX.lookup, request: { method: 'GET', next: () => ({ path: p.hashPaths() }) } },
    { name: 'limit C', weight: MIX.submission, request: { method: 'POST', path: '/c', headers: JSON_TYPE, body: SUBMISSION } },
    { name: 'limit Q', weight: MIX.queue, request: { method: 'GET', next: () => ({ path: barePath() }) } },
  ];
  const env = { ...appEnvironment(p.dbUrl), REDIS_URL: opts.redisUrl, REDIS_PREFIX: redisPrefix };
  const load = { connections: opts.connections, warmup: opts.warmup, duration: opts.duration };
  const label = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : what === 'process' ? 'es' : 's'}`;
  const mix = async (name: string, kinds: MixKind[], servers: Server[]) => {
    await quiet();
    step(`${name}: ${opts.warmup} s warm-up, ${opts.duration} s measured`);
    const rss = servers.map((s) => sampleRss(s.pid));
    const f = await measureMix(name, kinds, servers.map((s) => s.url), { ...load, serverPids: servers.map((s) => s.pid) });
    const peaks = rss.map((r) => r.stop());
    console.log(`  ${summary(f)}`);
    console.log(`  ${f.kinds.map((k) => `${k.name} ${(100 * k.share).toFixed(1)}%: p50 ${k.p50.toFixed(2)} ms, p99 ${k.p99.toFixed(2)} ms`).join('; ')}`);
    if (disturbed(f)) console.warn('  warning: other programs used a fifth or more of the CPU during this step; its figure is low');
    return { f, peaks };
  };

  // An instance that dies during the mixed load is named at once (its requests then fail as errors).
  let stopping = false;
  const exits: string[] = [];
  const watch = (server: Server) => {
    server.child.once('exit', (code, signal) => {
      if (stopping) return;
      exits.push(`${server.name} exited (${signal ?? `code ${code}`})`);
      console.error(`  ${exits.at(-1)} during the mixed load`);
    });
    return server;
  };
  step(`mixed load: starting app instance 1 with REDIS_URL=${opts.redisUrl} (prefix ${redisPrefix})`);
  redisUsed = true;
  const apps = [watch(await startApp('app 1 (mixed load)', APP_DIR, env))];
  const bare = [p.limits];
  const runs: MixedRun[] = [];
  try {
    for (const n of [1, 2]) {
      if (n === 2) {
        step('mixed load: starting app instance 2 and a second limits process, each on a port of its own');
        apps.push(watch(await startApp('app 2 (mixed load)', APP_DIR, env)));
        bare.push(watch(await startIpcServer('limits 2', ROOT, 'bench/servers/limits.ts', p.limitsEnv)));
      }
      const b = await mix(`bare mix, ${label(n, 'process')}`, bareKinds, bare);
      const a = await mix(`mixed load, ${label(n, 'instance')}`, appKinds, apps);
      const done: MixedRun = { instances: n, bare: b.f, app: a.f, rss: a.peaks, exits: exits.splice(0) };
      runs.push(done);
      console.log(
        mixedFailed(done)
          ? `  FAIL: ${[mixedProblems(a.f), ...done.exits].join('; ')} (zero errors is the bar)`
          : '  PASS: no errors, no non-2xx',
      );
      console.log(`  ${(a.f.rps / b.f.rps).toFixed(2)} × the bare mix (${Math.round(a.f.rps)} vs ${Math.round(b.f.rps)} req/s)`);
    }
  } finally {
    stopping = true;
    await Promise.all([...apps.map((a) => stop(a)), ...bare.slice(1).map((b) => stop(b))]);
  }
  return {
    weights: [
      { kind: 'status lookups', bare: 'limit B', weight: MIX.lookup },
      { kind: 'submissions', bare: 'limit C', weight: MIX.submission },
      { kind: 'staff queue page (first and filtered in turn)', bare: 'limit Q (both queries in turn)', weight: MIX.queue },
    ],
    runs,
    redisKeys: (await redisKeys()).length,
  };
}

/** The register page's size (src/routes/staff/households.ts PAGE). */
const REGISTER_PAGE = 50;

/** The household register at scale, on the app and limits server given (bench/lib/register.ts). */
async function registerPart(dbUrl: string, app: Server, limits: Server): Promise<RegisterFigures> {
  const rows = opts.registerRows;
  step(`register: generating a ${rows.toLocaleString('en-US')}-household XLSX and another CSV in the import layout`);
  const xlsx = await registerXlsx(campaign, 0, rows);
  const csv = registerCsv(campaign, rows, rows);
  const clerk = await staffSession(dbUrl, 'bench-clerk', 'clerk');
  const imports = [];
  const refresh = [];
  for (const file of [{ kind: 'xlsx' as const, bytes: xlsx, rows }, { kind: 'csv' as const, bytes: csv, rows }]) {
    await quiet();
    step(`register: importing the ${file.kind.toUpperCase()} (${(file.bytes.length / 1024 / 1024).toFixed(1)} MB) through the app as a clerk: preview, then commit`);
    const f = await importThroughApp(app.url, app.pid, clerk, file, memoryOf(app.pid)?.rss ?? NaN);
    console.log(`  preview ${(f.previewMs / 1000).toFixed(1)} s, commit ${(f.commitMs / 1000).toFixed(1)} s, app RSS peak ${Math.round(f.peakRss / 1024 / 1024)} MB`);
    imports.push(f);
    if (refresh.length === 0) {
      step('register: refreshFlags over every village');
      refresh.push(await timeFlagRefresh(dbUrl, campaign));
      console.log(`  ${refresh[0]!.households} households: ${(refresh[0]!.ms / 1000).toFixed(1)} s`);
    }
  }
  const seedPool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const pages: RegisterPageFigures[] = [];
  let seedSeconds = 0;
  const rss = sampleRss(app.pid);
  try {
    step(`register: seeding households up to ${opts.registerHouseholds.toLocaleString('en-US')} in SQL`);
    const t0 = Date.now();
    await seedHouseholds(seedPool, campaign, opts.registerHouseholds);
    await seedPool.query('VACUUM ANALYZE households, household_payments');
    seedSeconds = (Date.now() - t0) / 1000;
    step('register: refreshFlags over every village');
    const big = await timeFlagRefresh(dbUrl, campaign);
    refresh.push(big);
    console.log(`  ${big.households} households: ${(big.ms / 1000).toFixed(1)} s`);
    await seedPool.query('VACUUM ANALYZE household_flags, household_village_counts');
    const investigator = await staffSession(dbUrl, 'bench-register', 'investigator');
    const list = registerPages(villages[0]!);
    for (const [i, p] of list.entries()) {
      const queries = await compileRegisterQueries(p.filter, REGISTER_PAGE);
      // The bare route is told the page's statements through its own start-up environment.
      const bareServer = await startIpcServer(`limits R ${i}`, ROOT, 'bench/servers/limits.ts', {
        BENCH_DATABASE_URL: dbUrl,
        BENCH_POOL_SIZE: String(opts.poolSize),
        BENCH_PAGE: Buffer.from('-').toString('base64'),
        BENCH_REGISTER_QUERIES: JSON.stringify([{ path: p.path, queries }]),
      });
      try {
        const bare = await runLoad({ name: `limit R: register ${p.name}`, url: bareServer.url, method: 'GET', path: '/r/0' }, bareServer);
        const real = await runLoad({ name: `register ${p.name}`, url: app.url, method: 'GET', path: p.path, headers: { cookie: investigator.cookie } }, app);
        pages.push({ page: p.name, path: p.path, households: big.households, bare, app: real, plan: await explainQuery(seedPool, queries[0]!) });
      } finally {
        await stop(bareServer);
      }
    }
  } finally {
    await seedPool.end();
  }
  void limits;
  return {
    date: new Date(),
    revision: APP_DIR === ROOT ? revision() : `the app in ${APP_DIR}`,
    imports,
    refresh,
    seedSeconds,
    pages,
    pagesPeakRss: rss.stop(),
    machineBusy: sharedNote(),
  };
}

/** Other programs' share of the CPU during the register's loads, in words for the doc. */
let busiest = 0;
function sharedNote(): string {
  return busiest > 0.15 ? `The machine was shared: other programs kept it up to ${Math.round(busiest * 100)}% busy before some steps, so the figures are low.` : '';
}

/** A measured load against one server (warm-up, then measured), as the other parts run theirs. */
async function runLoad(target: Target, server: Server): Promise<Figures> {
  await quiet();
  step(`${target.name}: ${opts.warmup} s warm-up, ${opts.duration} s measured`);
  const f = await measure(target, { connections: opts.connections, warmup: opts.warmup, duration: opts.duration, serverPid: server.pid });
  console.log(`  ${summary(f)}`);
  if (disturbed(f)) console.warn('  warning: other programs used a fifth or more of the CPU during this step; its figure is low');
  return f;
}

/** Creates this run's database (dropped by cleanup) and closes the admin connection; its URL. */
async function createBenchDatabase(admin: pg.Client): Promise<string> {
  step(`creating database ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  dbCreated = true;
  await admin.end();
  const url = new URL(opts.adminUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** --register-only: a fresh database with the migrations, the app and the register's part alone. */
async function registerOnly(): Promise<RegisterFigures> {
  const admin = new pg.Client({ connectionString: opts.adminUrl });
  await admin.connect();
  const dbUrl = await createBenchDatabase(admin);
  const migratePool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  try {
    await migrate(migratePool);
  } finally {
    await migratePool.end();
  }
  step(`starting the app (${APP_DIR === ROOT ? '' : APP_DIR + '/'}dist/server.js) on PostgreSQL`);
  const app = await startApp('app (PostgreSQL)', APP_DIR, appEnvironment(dbUrl));
  try {
    return await registerPart(dbUrl, app, app);
  } finally {
    await stop(app);
  }
}

async function embeddedPart(): Promise<BenchResult['embedded']> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xiansuo-bench-pglite-'));
  tempDirs.push(dataDir);
  const env = {
    DATA_DIR: dataDir,
    APP_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_SUBMISSIONS_PER_HOUR: HUGE,
    RATE_LIMIT_LOOKUPS_PER_15_MIN: HUGE,
    RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: HUGE,
  };
  step(`embedded: first start on an empty data folder (${dataDir})`);
  const first = await startApp('app (PGlite, first start)', APP_DIR, env, 120_000);
  const seeded = 200;
  step(`embedded: submitting ${seeded} reports through the API`);
  const codes = await pool(Array.from({ length: seeded }, (_, i) => i), opts.connections, async () => {
    const res = await fetch(`${first.url}/api/v1/reports`, { method: 'POST', headers: JSON_TYPE, body: SUBMISSION });
    if (res.status !== 201) throw new Error(`embedded seeding: HTTP ${res.status}`);
    return ((await res.json()) as { code: string }).code.replace(/ /g, '');
  });
  const firstStartHwm = memoryOf(first.pid)?.hwm ?? NaN;
  await stop(first);
  await quiet();
  step('embedded: cold start, npm start on the existing data folder, until the first 200 on /');
  const coldStartMs = await coldStart(APP_DIR, env);
  console.log(`  ${(coldStartMs / 1000).toFixed(2)} s`);

  step('embedded: restarted on the same data folder');
  const app = await startApp('app (PGlite)', APP_DIR, env, 120_000);
  const idle = memoryOf(app.pid)?.rss ?? NaN;
  const rss = sampleRss(app.pid);
  const half = Math.ceil(opts.connections / 2);
  const both = [
    { target: statusTarget('embedded lookup', app, codes), connections: half },
    { target: submissionTarget('embedded submission', app), connections: Math.max(1, opts.connections - half) },
  ];
  await quiet();
  step(`embedded: lookups and submissions together, ${opts.warmup} s warm-up, ${opts.embeddedDuration} s measured`);
  if (opts.warmup > 0) await measureTogether(both, opts.warmup);
  const [lookup, submission] = await measureTogether(both, opts.embeddedDuration);
  for (const f of [lookup!, submission!]) {
    console.log(`  ${f.name}: ${summary(f)}`);
  }
  const peakUnderLoad = rss.stop();
  const hwm = memoryOf(app.pid)?.hwm ?? NaN;
  await stop(app);
  return { firstStartHwm, coldStartMs, seeded, lookup: lookup!, submission: submission!, idle, peakUnderLoad, hwm };
}

/** The code measured: commit, and whether src/, views/ or migrations/ had uncommitted changes. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'views', 'migrations') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

let exitCode = 0;
try {
  const started = Date.now();
  if (opts.registerOnly) {
    const register = await registerOnly();
    console.log('');
    printRegister(register);
    if (opts.write && APP_DIR === ROOT) {
      writeRegisterDoc(join(ROOT, 'docs/PERFORMANCE.md'), register);
      console.log('\nWrote the register\'s generated section of docs/PERFORMANCE.md');
    }
    console.log(`Done in ${Math.round((Date.now() - started) / 1000)} s.`);
    await cleanup();
    process.exit(0);
  }
  const pgPart = await postgresPart();
  const embedded = opts.embeddedDuration > 0 ? await embeddedPart() : undefined;
  const cpu = cpus();
  const result: BenchResult = {
    date: new Date(),
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      kernel: release(),
    },
    node: process.version,
    revision: APP_DIR === ROOT ? revision() : `the app in ${APP_DIR}`,
    options: opts,
    ...pgPart,
    ...(embedded ? { embedded } : {}),
  };
  printResult(result);
  if (pgPart.register) printRegister(pgPart.register);
  if (opts.write && APP_DIR !== ROOT) {
    console.log('\nNot writing docs/PERFORMANCE.md: the app measured is not this checkout\'s.');
  } else if (opts.write) {
    const file = join(ROOT, 'docs/PERFORMANCE.md');
    writeDoc(file, result);
    if (pgPart.register) writeRegisterDoc(file, pgPart.register);
    console.log(`\nWrote the generated section of ${file}`);
  }
  console.log(`Done in ${Math.round((Date.now() - started) / 1000)} s.`);
  if (verdicts(result).some((v) => !v.met)) console.log('Some targets were not met (see above).');
  const failed = result.mixed?.runs.filter(mixedFailed) ?? [];
  if (failed.length) {
    console.log(`FAIL: the mixed load had errors, non-2xx answers or a server exit with ${failed.map((m) => m.instances).join(' and ')} instance(s); zero is the bar.`);
  }
} catch (err) {
  console.error(`Bench failed: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
process.exit(exitCode);
