// Bench settings: defaults, overridable by environment (BENCH_*) or by flags (--duration=15 …).

export interface Options {
  /** Admin connection to the PostgreSQL server; the bench creates and drops its own database there. */
  adminUrl: string;
  /** Where the app under test is started from (src/server.ts in it): this checkout by default. */
  appDir: string | undefined;
  /** Seconds each measured run lasts. */
  duration: number;
  /** Seconds of warm-up before each measured run (discarded). */
  warmup: number;
  /** Concurrent connections, the same for every target. */
  connections: number;
  /** Pool size of the app and of the bare `pg` routes alike. */
  poolSize: number;
  /** Reports seeded before the run. */
  reports: number;
  /** Codes kept for the lookups to rotate through. */
  lookupCodes: number;
  /** Seconds of the embedded (PGlite) run; 0 skips it. */
  embeddedDuration: number;
  /** Write docs/PERFORMANCE.md. */
  write: boolean;
  /** Give up (and clean up) after this many seconds. */
  timeout: number;
  /** Before each measured step, wait up to this many seconds for other programs' load to pass. */
  quietWait: number;
  /** Lead counts at which the staff queue is measured (leads seeded up to each in turn); empty skips it. */
  queueLeads: number[];
  /** Run the mixed load (lookups, submissions, queue pages) against one and two app instances. */
  mixed: boolean;
  /** Redis the app instances of the mixed load share their rate-limit counters in. */
  redisUrl: string;
  /** Run the household register's part (imports, flag refresh, register pages). */
  register: boolean;
  /** Run only the register's part (on a fresh database; only its section of the doc is written). */
  registerOnly: boolean;
  /** Households in each generated import file (XLSX and CSV). */
  registerRows: number;
  /** Households the register is brought to (in SQL) before its pages are measured. */
  registerHouseholds: number;
}

const SPEC: Record<Exclude<keyof Options, 'adminUrl' | 'appDir' | 'write' | 'queueLeads' | 'mixed' | 'redisUrl' | 'register' | 'registerOnly'>, { env: string; def: number; min: number }> = {
  duration: { env: 'BENCH_DURATION', def: 10, min: 1 },
  warmup: { env: 'BENCH_WARMUP', def: 3, min: 0 },
  connections: { env: 'BENCH_CONNECTIONS', def: 10, min: 1 },
  poolSize: { env: 'BENCH_POOL_SIZE', def: 10, min: 1 },
  reports: { env: 'BENCH_REPORTS', def: 10_000, min: 1 },
  lookupCodes: { env: 'BENCH_LOOKUP_CODES', def: 500, min: 1 },
  embeddedDuration: { env: 'BENCH_EMBEDDED_DURATION', def: 5, min: 0 },
  timeout: { env: 'BENCH_TIMEOUT', def: 1800, min: 30 },
  quietWait: { env: 'BENCH_QUIET_WAIT', def: 10, min: 0 },
  registerRows: { env: 'BENCH_REGISTER_ROWS', def: 100_000, min: 1 },
  registerHouseholds: { env: 'BENCH_REGISTER_HOUSEHOLDS', def: 1_000_000, min: 1 },
};

const FLAG_OF: Record<string, keyof typeof SPEC> = {
  duration: 'duration',
  warmup: 'warmup',
  connections: 'connections',
  'pool-size': 'poolSize',
  reports: 'reports',
  'lookup-codes': 'lookupCodes',
  'embedded-duration': 'embeddedDuration',
  timeout: 'timeout',
  'quiet-wait': 'quietWait',
  'register-rows': 'registerRows',
  'register-households': 'registerHouseholds',
};

export const USAGE = `npm run bench [-- options]
  --duration=S           seconds per measured run            (BENCH_DURATION, 10)
  --warmup=S             seconds of warm-up before each run  (BENCH_WARMUP, 3)
  --connections=N        concurrent connections              (BENCH_CONNECTIONS, 10)
  --pool-size=N          DB pool of the app and bare routes  (BENCH_POOL_SIZE, 10)
  --reports=N            reports seeded                      (BENCH_REPORTS, 10000)
  --lookup-codes=N       codes the lookups rotate through    (BENCH_LOOKUP_CODES, 500)
  --embedded-duration=S  embedded (PGlite) run, 0 to skip    (BENCH_EMBEDDED_DURATION, 5)
  --queue-leads=N,N      staff queue measured at these sizes (BENCH_QUEUE_LEADS, 100000,1000000; 0 skips)
  --no-mixed             skip the mixed load (1 and 2 apps)   (BENCH_MIXED=0)
  --redis-url=URL        Redis the mixed load's apps share   (BENCH_REDIS_URL, redis://127.0.0.1:6379)
  --no-register          skip the household register's part   (BENCH_REGISTER=0)
  --register-only        run only the register's part         (BENCH_REGISTER_ONLY=1)
  --register-rows=N      households per generated import file (BENCH_REGISTER_ROWS, 100000)
  --register-households=N  register size for its pages      (BENCH_REGISTER_HOUSEHOLDS, 1000000)
  --timeout=S            give up and clean up after          (BENCH_TIMEOUT, 1800)
  --quiet-wait=S         wait for other load before each step (BENCH_QUIET_WAIT, 10)
  --admin-url=URL        PostgreSQL admin connection         (BENCH_ADMIN_URL, postgres://postgres@127.0.0.1:5432/postgres)
  --app-dir=DIR          run the app from another checkout   (BENCH_APP_DIR, this one), e.g. to measure a proposed change
  --no-write             do not rewrite docs/PERFORMANCE.md  (BENCH_WRITE=0)`;

export function parseOptions(argv: string[], env: Record<string, string | undefined>): Options {
  const values: Record<string, string> = {};
  let write = env.BENCH_WRITE !== '0';
  let mixed = env.BENCH_MIXED !== '0';
  let register = env.BENCH_REGISTER !== '0';
  let registerOnly = env.BENCH_REGISTER_ONLY === '1';
  let redisUrl = env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
  let adminUrl = env.BENCH_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  let appDir = env.BENCH_APP_DIR || undefined;
  let queueLeads = env.BENCH_QUEUE_LEADS || '100000,1000000';
  for (const key of Object.keys(SPEC) as (keyof typeof SPEC)[]) {
    const v = env[SPEC[key].env];
    if (v) values[key] = v;
  }
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (arg === '--no-write') {
      write = false;
      continue;
    }
    if (arg === '--no-mixed') {
      mixed = false;
      continue;
    }
    if (arg === '--no-register') {
      register = false;
      continue;
    }
    if (arg === '--register-only') {
      registerOnly = true;
      continue;
    }
    const m = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (m && m[1] === 'admin-url') {
      adminUrl = m[2]!;
      continue;
    }
    if (m && m[1] === 'app-dir') {
      appDir = m[2]!;
      continue;
    }
    if (m && m[1] === 'redis-url') {
      redisUrl = m[2]!;
      continue;
    }
    if (m && m[1] === 'queue-leads') {
      queueLeads = m[2]!;
      continue;
    }
    const key = m ? FLAG_OF[m[1]!] : undefined;
    if (!m || !key) throw new Error(`Unknown argument ${arg}\n${USAGE}`);
    values[key] = m[2]!;
  }
  const sizes = queueLeads === '0' ? [] : queueLeads.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || sizes.some((n, i) => i > 0 && n <= sizes[i - 1]!)) {
    throw new Error(`queue-leads must be increasing whole numbers, or 0 (got ${queueLeads})`);
  }
  if (registerOnly && !register) throw new Error('--register-only and --no-register contradict each other');
  const out = { adminUrl, appDir, write, queueLeads: sizes, mixed, redisUrl, register, registerOnly } as Options;
  for (const key of Object.keys(SPEC) as (keyof typeof SPEC)[]) {
    const raw = values[key];
    const n = raw === undefined ? SPEC[key].def : Number(raw);
    if (!Number.isFinite(n) || n < SPEC[key].min) throw new Error(`${key} must be a number ≥ ${SPEC[key].min} (got ${raw})`);
    out[key] = n;
  }
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'];
  const host = new URL(adminUrl).hostname;
  if (!loopback.includes(host)) {
    throw new Error(`The bench runs on this machine only: ${host} is not 127.0.0.1`);
  }
  let redis: URL;
  try {
    redis = new URL(redisUrl);
  } catch {
    throw new Error(`redis-url must be redis://host[:port][/db] (got ${redisUrl})`);
  }
  if (redis.protocol !== 'redis:') throw new Error(`redis-url must be redis://host[:port][/db] (got ${redisUrl})`);
  if (mixed && !registerOnly && !loopback.includes(redis.hostname)) {
    throw new Error(`The bench runs on this machine only: ${redis.hostname} is not 127.0.0.1`);
  }
  return out;
}
