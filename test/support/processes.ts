import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { hashCode } from '../../src/lib/codes.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { reportKeys } from '../../src/reports/service.js';
import { codeFrom, FORM, formBody, HOTLINE, VALID_REPORT } from './app.js';
import { freePort } from './mail.js';

// The fault tests run the real server (`node --import tsx src/server.ts`) as a child process on
// loopback, put load on it, and break something underneath it.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Generous limits: every client here comes from 127.0.0.1, and rate limiting is not under test.
const LOAD_ENV = {
  RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000000',
  RATE_LIMIT_LOOKUPS_PER_15_MIN: '1000000',
  RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '1000000',
  LOG_LEVEL: 'warn',
};

// Long: a first start of the embedded database runs initdb, and CI shares two cores.
const READY_MS = 120_000;

/** Starts the server with `env` (nothing database-related is inherited) and waits until it answers. */
export async function startServer(t: Test, env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'APP_SECRET', 'DATA_DIR', 'SMTP_URL', 'MAIL_FROM', 'PORT', 'HOST'].includes(k)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...inherited, ...LOAD_ENV, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  t.teardown(async () => {
    if (!gone) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the server exited before it was ready:\n${out}`);
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return { url, child, output: () => out, exited };
    } catch {
      await sleep(100);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`the server was not ready within ${READY_MS} ms:\n${out}`);
}

export interface Outcome {
  /** When the request was sent and answered (ms since the epoch). */
  sentAt: number;
  doneAt: number;
  via: 'api' | 'form';
  /** HTTP status, or null when the connection failed (refused, reset). */
  status: number | null;
  /** The tracking code the client was shown (digits only). */
  code?: string;
  /** For a 503: whether the answer names the hotline. */
  hotline?: boolean;
  error?: string;
}

/** One submission, through the JSON API or the HTML form (GET the form for its token, then POST). */
async function submitOnce(url: string, via: 'api' | 'form'): Promise<Outcome> {
  const sentAt = Date.now();
  const signal = AbortSignal.timeout(20_000);
  try {
    let res: Response;
    if (via === 'api') {
      res = await fetch(`${url}/api/v1/reports`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(VALID_REPORT), signal,
      });
    } else {
      const form = await (await fetch(`${url}/report`, { signal })).text();
      const token = /name="token" value="([^"]+)"/.exec(form)?.[1] ?? '';
      res = await fetch(`${url}/report`, { method: 'POST', headers: FORM, body: formBody({ ...VALID_REPORT, token }), signal });
    }
    const body = await res.text();
    const outcome: Outcome = { sentAt, doneAt: Date.now(), via, status: res.status };
    if (res.status === 201 && via === 'api') outcome.code = String(JSON.parse(body).code).replace(/\D/g, '');
    if (res.status === 200 && via === 'form' && body.includes('id="tracking-code"')) outcome.code = codeFrom(body);
    if (res.status === 503) outcome.hotline = body.includes(HOTLINE);
    return outcome;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { sentAt, doneAt: Date.now(), via, status: null, error: cause?.code ?? (err as Error).message };
  }
}

export interface Load {
  outcomes: Outcome[];
  /** Resolves once `n` more submissions have been answered with a code. */
  successes(n: number, timeoutMs?: number): Promise<void>;
  /** Stops sending and waits for every client's last request. */
  stop(): Promise<Outcome[]>;
}

/** `clients` concurrent clients, half through the API and half through the form, each submitting in a loop. */
export function startLoad(url: string, clients = 20): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (running) {
      const outcome = await submitOnce(url, i % 2 ? 'form' : 'api');
      outcomes.push(outcome);
      // A refused connection comes back at once: do not spin.
      if (outcome.status === null || outcome.status === 503) await sleep(50);
    }
  });
  const codes = () => outcomes.filter((o) => o.code).length;
  return {
    outcomes,
    async successes(n, timeoutMs = 30_000) {
      const target = codes() + n;
      const deadline = Date.now() + timeoutMs;
      while (codes() < target) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} successful submissions within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** How many reports each code has in the database (by its HMAC under the app secret). */
export async function reportsPerCode(db: DatabaseHandle['db'], secret: string, codes: string[]): Promise<Map<string, number>> {
  const key = reportKeys(secret).code;
  const counts = new Map<string, number>();
  for (const code of codes) {
    const r = await db.selectFrom('reports').select((eb) => eb.fn.countAll<string>().as('n')).where('code_hash', '=', hashCode(key, code)).executeTakeFirstOrThrow();
    counts.set(code, Number(r.n));
  }
  return counts;
}

/** The newest PostgreSQL server binaries on this machine (Debian layout), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

export interface PrivateCluster {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster of our own in a temp folder, on a free loopback port, removed in
 * t.teardown: the fault tests stop and start it, which they must never do to the machine's server.
 * initdb refuses to run as root, so as root it runs as the `postgres` user.
 */
export async function privateCluster(t: Test, bin: string): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'fault-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pw.stdout), Number(gid.stdout));
  }
  // Asynchronous, so that the clients' requests and their timings go on while pg_ctl waits.
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
      execFile(file, argv, { timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${cmd} failed: ${stderr || stdout || err.message}`)) : resolve(),
      );
    });
  const data = join(dir, 'data');
  const port = await freePort();
  let running = false;
  const start = async () => {
    await run('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
    running = true;
  };
  const stop = async () => {
    await run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
    running = false;
  };
  t.teardown(async () => {
    try {
      if (running) await run('pg_ctl', ['-D', data, '-w', '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  await start();
  return { port, url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop, start };
}
