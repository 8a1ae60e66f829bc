import autocannon from 'autocannon';
import { startCpu, type CpuUse } from './cpu.js';

// One load step: a warm-up run (discarded) then the measured run, same connections, through
// autocannon in this process. Requests are built per call so that codes and keys rotate.

export interface Target {
  name: string;
  url: string;
  /** One request template; `next()` is called for each request sent. */
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  next?: () => { path?: string; body?: string; headers?: Record<string, string> };
  path?: string;
  body?: string;
}

export interface Figures {
  name: string;
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Socket errors and timeouts. */
  errors: number;
  non2xx: number;
  /** CPU per request during the measured run, when the server's pid was given. */
  cpu?: CpuUse;
}

interface Run {
  result: autocannon.Result;
  /** Every response time in ms, unrounded (autocannon's own histogram keeps whole milliseconds). */
  latencies: Float64Array;
}

function run(target: Target, connections: number, seconds: number): Promise<Run> {
  const request: autocannon.Request = {
    method: target.method,
    path: target.path ?? '/',
    headers: target.headers ?? {},
    ...(target.body !== undefined ? { body: target.body } : {}),
  };
  const next = target.next;
  if (next) {
    request.setupRequest = (req) => {
      const n = next();
      if (n.path !== undefined) req.path = n.path;
      if (n.body !== undefined) req.body = n.body;
      if (n.headers) req.headers = { ...req.headers, ...n.headers };
      return req;
    };
  }
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: target.url, connections, duration: seconds, pipelining: 1, timeout: 10, requests: [request] },
      (err, result) => (err ? reject(err) : resolve({ result, latencies: latencies.subarray(0, count) })),
    );
    instance.on('error', reject);
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = responseTime;
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function figures(name: string, { result: r, latencies }: Run): Figures {
  const sorted = latencies.slice().sort();
  return {
    name,
    requests: r['2xx'],
    seconds: r.duration,
    rps: r['2xx'] / r.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export async function measure(
  target: Target,
  opts: { connections: number; warmup: number; duration: number; serverPid?: number },
): Promise<Figures> {
  if (opts.warmup > 0) {
    const { result: w } = await run(target, opts.connections, opts.warmup);
    if (w.errors + w.timeouts + w.non2xx > 0) {
      console.warn(`  ${target.name}: warm-up saw ${w.errors} errors, ${w.timeouts} timeouts, ${w.non2xx} non-2xx`);
    }
  }
  const cpu = opts.serverPid ? startCpu(opts.serverPid) : undefined;
  const r = await run(target, opts.connections, opts.duration);
  const f = figures(target.name, r);
  // Requests completed, whatever their status, are what the CPU was spent on.
  if (cpu) f.cpu = cpu.stop(r.latencies.length);
  return f;
}

/** Several targets at once (e.g. lookups and submissions side by side), each with its own connections. */
export async function measureTogether(
  targets: { target: Target; connections: number }[],
  seconds: number,
): Promise<Figures[]> {
  const results = await Promise.all(targets.map((t) => run(t.target, t.connections, seconds)));
  return results.map((r, i) => figures(targets[i]!.target.name, r));
}
