import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadCampaign } from '../src/campaign/schema.js';
import { migrate } from '../src/db/migrate.js';
import { formatCode, hashCode } from '../src/lib/codes.js';
import { deriveKey } from '../src/lib/secret.js';
import { measure, type Target } from './lib/load.js';
import { startApp, startIpcServer, stop, type Server } from './lib/processes.js';
import { compileStatusQuery } from './lib/queue.js';
import { seedReports } from './lib/seed.js';

// npx tsx bench/profile-lookup.ts [seconds]: where a status lookup's CPU goes. The app (as `npm
// start` runs it), limit B′ and limit B (bench/servers/limits.ts) each run under the bench's lookup
// load with V8's sampling profiler (bench/servers/cpu-profile.mjs), on a scratch database that is
// dropped at the end. For each: self time by where the code lives, the busiest functions, our
// functions inclusive; then what the app spends that limit B′ does not, function by function. The
// profiler slows each server by about a quarter, and its figures for native calls (the socket
// writes) count time the process waited as well: read shares of the JavaScript, not speed. Run it
// on a quiet machine. BENCH_ADMIN_URL as for `npm run bench`.

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const seconds = Number(process.argv[2] ?? 15);
const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = randomBytes(32).toString('hex');
const PRELOAD = new URL('servers/cpu-profile.mjs', import.meta.url).href;
const HUGE = '1000000000';
const FORM = { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'zh-CN,zh;q=0.9' };

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives: a package, one of our files, node's internals, or V8 itself. */
function place(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  const ours = /\/(src|dist|bench)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

/** Package functions worth seeing inclusive: Fastify's hook runners, the request's start, the socket write. */
const INCLUSIVE_OF = /^(hookRunner|onSendHook|preHandlerCallback|handleRequest|runPreParsing|wrapThenable|onSendEnd|emit|parserOnIncoming|writevGeneric|_storeHeader|rateLimitRequestHandler|runHook|hookIterator|next)$/;

function summarise(title: string, profile: Profile, requests: number): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const where = place(url, functionName);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  // Inclusive time of our own functions and of the packages' entry points they call: each sample
  // counted once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((leaf, i) => {
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      if (functionName === '(idle)') return;
      const where = place(url, functionName);
      if (!/^(src|dist)\//.test(where) && !INCLUSIVE_OF.test(functionName)) continue;
      seen.add(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`);
    }
    for (const fn of seen) inclusive.set(fn, (inclusive.get(fn) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / requests).toFixed(1).padStart(6)} µs  ${k}`);
  console.log(`\n${title}: ${(busy / requests).toFixed(0)} µs of busy CPU per request (${requests} requests)\nby place:`);
  console.log(top(byPlace, 25).join('\n'));
  console.log('busiest functions:');
  console.log(top(byFunction, 30).join('\n'));
  console.log('our functions, inclusive:');
  console.log(top(inclusive, 40).join('\n'));
  return new Map([...byFunction].map(([fn, us]) => [fn.replace(/ (dist|src|bench)\/.*$/, ' (ours)').replace(/:\d+$/, ''), us / requests]));
}

function readProfile(dir: string): Profile {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
}

async function profiled(title: string, start: (env: Record<string, string>) => Promise<Server>, target: (s: Server) => Target): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'profile-'));
  const server = await start({ NODE_OPTIONS: `--import ${PRELOAD}`, PROFILE_DIR: dir });
  let requests: number;
  try {
    const f = await measure(target(server), { connections: 10, warmup: 3, duration: seconds, serverPid: server.pid });
    console.log(`${title}: ${f.rps.toFixed(0)} req/s, p99 ${f.p99} ms, ${f.non2xx} non-2xx, server CPU ${f.cpu?.server.toFixed(0) ?? '?'} µs per request`);
    // The profile spans the warm-up too, at about the same rate.
    requests = Math.round(f.rps * (seconds + 3));
  } finally {
    await stop(server);
  }
  try {
    return summarise(title, readProfile(dir), requests);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
const dbName = `bench_profile_${process.pid}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const dbUrl = url.toString();
try {
  const seedPool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const villages = loadCampaign(join(ROOT, 'config/campaign.json')).villages.map((v) => v.id);
  await migrate(seedPool);
  const { codes } = await seedReports(seedPool, SECRET, villages, { reports: 10_000, keep: 500 });
  await seedPool.end();
  let n = 0;
  const next = <T>(list: T[]) => () => list[n++ % list.length]!;

  const bodies = next(codes.map((c) => new URLSearchParams({ code: formatCode(c) }).toString()));
  const app = await profiled(
    'app, POST /status',
    (env) =>
      startApp('app', ROOT, {
        DATABASE_URL: dbUrl,
        APP_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: '10',
        RATE_LIMIT_LOOKUPS_PER_15_MIN: HUGE,
        RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: HUGE,
        ...env,
      }),
    (s) => ({ name: 'lookup', url: s.url, method: 'POST', path: '/status', headers: FORM, next: () => ({ body: bodies() }) }),
  );

  // The bare routes: limit B′ (the same page) and limit B (the same query, answered as JSON).
  const codeKey = deriveKey(SECRET, 'tracking-code');
  const hashes = codes.map((c) => hashCode(codeKey, c).toString('hex'));
  const bare: Map<string, number>[] = [];
  for (const [title, prefix] of [['limit B′, GET /b2/:hash', '/b2/'], ['limit B, GET /b/:hash', '/b/']] as const) {
    const paths = next(hashes.map((h) => `${prefix}${h}`));
    bare.push(await profiled(
      title,
      (env) =>
        startIpcServer('limits', ROOT, 'bench/servers/limits.ts', {
          BENCH_DATABASE_URL: dbUrl,
          BENCH_POOL_SIZE: '10',
          BENCH_PAGE: 'IA==',
          BENCH_STATUS_SQL: compileStatusQuery(),
          ...env,
        }),
      (s) => ({ name: title, url: s.url, method: 'GET', next: () => ({ path: paths() }) }),
    ));
  }
  // What the app spends that limit B′ does not, function by function (our own files as one).
  const fair = bare[0]!;
  const gaps = [...new Set([...app.keys(), ...fair.keys()])].map((fn) => [fn, (app.get(fn) ?? 0) - (fair.get(fn) ?? 0)] as const);
  console.log('\nthe app minus limit B′, self µs per request, largest first:');
  for (const [fn, us] of gaps.sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${us.toFixed(1).padStart(6)} µs  ${fn}`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
