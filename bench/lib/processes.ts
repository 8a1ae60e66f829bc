import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Child server processes: each server runs alone in its own Node process, so its memory figure is
// its own and it does not share an event loop with the load generator.

export interface Server {
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  exited: Promise<number | null>;
}

const running = new Set<Server>();

export function runningServers(): Server[] {
  return [...running];
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function track(name: string, child: ChildProcess, port: number): Server {
  if (!child.pid) throw new Error(`${name}: failed to start`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: Server = { name, child, pid: child.pid, port, url: `http://127.0.0.1:${port}`, exited };
  running.add(server);
  void exited.then(() => running.delete(server));
  return server;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const built = new Set<string>();

/**
 * How `npm start` runs the server, read from package.json: the environment it sets (its `VAR=value`
 * words) and node's own flags (the `--` words between `node` and `dist/server.js`).
 */
export function startCommand(cwd: string): { env: Record<string, string>; nodeFlags: string[] } {
  const start: string = JSON.parse(readFileSync(`${cwd}/package.json`, 'utf8')).scripts.start;
  const env = Object.fromEntries([...start.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  const nodeFlags = (/\bnode((?: --\S+)*) dist\/server\.js/.exec(start)?.[1] ?? '').split(' ').filter(Boolean);
  return { env, nodeFlags };
}

/** `npm run build` in the app's folder, once per bench run: the bench measures what `npm start` runs. */
function buildOnce(cwd: string): void {
  if (built.has(cwd)) return;
  execFileSync('npm', ['run', '-s', 'build'], { cwd, stdio: 'inherit' });
  built.add(cwd);
}

/**
 * The real app, started as `npm start` does (built, then node dist/server.js with the start script's
 * node flags and environment, plus the small parent-guard preload) with the given environment; resolves once GET /healthz answers 200.
 */
export async function startApp(name: string, cwd: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Server> {
  buildOnce(cwd);
  const port = await freePort();
  const guard = new URL('../servers/parent-guard.mjs', import.meta.url).href;
  const start = startCommand(cwd);
  const child = spawn(process.execPath, [...start.nodeFlags, '--import', guard, 'dist/server.js'], {
    cwd,
    // Only what the app needs: no DATABASE_URL or secrets leak in from the caller's environment.
    env: { PATH: process.env.PATH ?? '', ...start.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    // The IPC channel is only there for parent-guard.mjs: the app stops if the bench dies.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const server = track(name, child, port);
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name}: exited with code ${child.exitCode} during start-up`);
      try {
        const res = await fetch(`${server.url}/healthz`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await withTimeout(ready, timeoutMs, `${name} start-up`);
  return server;
}

/** A bench/servers/*.ts process that reports { ready, port } over IPC once it listens. */
export async function startIpcServer(name: string, cwd: string, script: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const port = await withTimeout(
      new Promise<number>((resolve, reject) => {
        child.on('message', (m: { ready?: boolean; port?: number }) => m.ready && m.port && resolve(m.port));
        child.once('exit', (code) => reject(new Error(`${name}: exited with code ${code} during start-up`)));
        child.once('error', reject);
      }),
      30_000,
      `${name} start-up`,
    );
    return track(name, child, port);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** SIGTERM (graceful shutdown), then SIGKILL after a grace period. */
export async function stop(server: Server, graceMs = 10_000): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}

/** Last resort on exit: kill whatever is still running, synchronously, by pid. */
export function killAllNow(): void {
  for (const s of running) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  hwm: number;
}

export function memoryOf(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest value seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = memoryOf(pid)?.rss ?? 0;
  const timer = setInterval(() => {
    const m = memoryOf(pid);
    if (m && m.rss > peak) peak = m.rss;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const m = memoryOf(pid);
      if (m && m.rss > peak) peak = m.rss;
      return peak;
    },
  };
}

/**
 * Cold start as a user sees it: `npm start` (its incremental build included, with nothing to
 * rebuild) until the first 200 on `/`, polled every 20 ms. The whole process group is stopped
 * afterwards (npm, and the node it execs). Milliseconds.
 */
export async function coldStart(cwd: string, env: Record<string, string>, timeoutMs = 60_000): Promise<number> {
  buildOnce(cwd);
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const server = track('app (cold start)', child, port);
  try {
    const ready = (async () => {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`cold start: npm start exited with code ${child.exitCode}`);
        const ok = await fetch(`${server.url}/`).then((r) => r.status === 200, () => false);
        if (ok) return performance.now() - started;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return await withTimeout(ready, timeoutMs, 'cold start');
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }, 10_000);
    await server.exited;
    clearTimeout(timer);
  }
}
