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

/** A target without its name and server: what the mixed load sends to every instance. */
export type Request = Omit<Target, 'name' | 'url'>;

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

/** A request template as autocannon takes it; `next()` (if any) is called for each request sent. */
function toRequest(target: Request): autocannon.Request {
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
  return request;
}

function run(target: Target, connections: number, seconds: number): Promise<Run> {
  const request = toRequest(target);
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
    // autocannon counts each timeout in `errors` as well as in `timeouts`.
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

export async function measure(
  target: Target,
  opts: { connections: number; warmup: number; duration: number; serverPid?: number },
): Promise<Figures> {
  if (opts.warmup > 0) {
    const { result: w } = await run(target, opts.connections, opts.warmup);
    if (w.errors + w.non2xx > 0) {
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

/**
 * Targets compared with each other (an endpoint and its ceilings), measured in turns: after each
 * one's warm-up, `slices` rounds in which every target runs for duration/slices seconds, the order
 * reversed every other round. Each target's figures sum its slices. On a machine whose speed
 * drifts (a shared host), one 10 s run after another gave ratios 20% apart from one bench run to
 * the next; in turns, every target sees the same drift.
 */
export async function measureInTurns(
  targets: { target: Target; serverPid: number }[],
  opts: { connections: number; warmup: number; duration: number; slices: number },
): Promise<Figures[]> {
  for (const { target } of targets) {
    if (opts.warmup > 0) await run(target, opts.connections, opts.warmup);
  }
  const sums = targets.map(() => ({ runs: [] as Run[], cpu: [] as { use: CpuUse; requests: number }[] }));
  const seconds = Math.max(1, Math.round(opts.duration / opts.slices));
  for (let round = 0; round < opts.slices; round++) {
    const order = targets.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const cpu = startCpu(targets[i]!.serverPid);
      const r = await run(targets[i]!.target, opts.connections, seconds);
      sums[i]!.runs.push(r);
      sums[i]!.cpu.push({ use: cpu.stop(r.latencies.length), requests: r.latencies.length });
    }
  }
  return targets.map(({ target }, i) => {
    const { runs, cpu } = sums[i]!;
    const latencies = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0));
    let at = 0;
    for (const r of runs) {
      latencies.set(r.latencies, at);
      at += r.latencies.length;
    }
    const total = (key: '2xx' | 'duration' | 'errors' | 'non2xx') => runs.reduce((n, r) => n + r.result[key], 0);
    const result = { '2xx': total('2xx'), duration: total('duration'), errors: total('errors'), non2xx: total('non2xx') } as autocannon.Result;
    const f = figures(target.name, { result, latencies });
    const requests = cpu.reduce((n, c) => n + c.requests, 0);
    const mean = (key: keyof CpuUse) => cpu.reduce((n, c) => n + c.use[key] * (key === 'busy' ? 1 / cpu.length : c.requests / requests), 0);
    f.cpu = { server: mean('server'), postgres: mean('postgres'), loadGenerator: mean('loadGenerator'), other: mean('other'), busy: mean('busy') };
    return f;
  });
}

/** Several targets at once (e.g. lookups and submissions side by side), each with its own connections. */
export async function measureTogether(
  targets: { target: Target; connections: number }[],
  seconds: number,
): Promise<Figures[]> {
  const results = await Promise.all(targets.map((t) => run(t.target, t.connections, seconds)));
  return results.map((r, i) => figures(targets[i]!.target.name, r));
}

// ---------------------------------------------------------------------------------------------
// The mixed load: several kinds of request in fixed proportions, on one or more servers.

/** One kind of request in a mixed load. */
export interface MixKind {
  name: string;
  /** Requests of this kind in each cycle of the rotation (e.g. 16, 3 and 1 for 80/15/5). */
  weight: number;
  request: Request;
}

export interface KindFigures {
  name: string;
  /** Responses received, whatever their status, and their share of all responses in the run. */
  completed: number;
  share: number;
  /** 2xx answers per second. */
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** The run's figures over all kinds (as for any target), and each kind's. */
export interface MixFigures extends Figures {
  kinds: KindFigures[];
}

/**
 * The order of one cycle: each kind `weight` times, the rarer kinds spread out (smooth weighted
 * round-robin: 16, 3, 1 gives 20 requests, a submission every 5 to 9, no two of the rarer kinds side by side).
 */
export function mixCycle(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    weights.forEach((w, i) => (current[i]! += w));
    const best = current.indexOf(Math.max(...current));
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

interface MixRun {
  result: autocannon.Result;
  latencies: number[];
  kinds: { latencies: number[]; ok: number; non2xx: number }[];
}

/**
 * One autocannon run whose every connection repeats the cycle, so the share of completed
 * requests is the cycle's whatever each kind's latency (a connection waits for each answer).
 */
function runMix(kinds: MixKind[], url: string, connections: number, seconds: number): Promise<MixRun> {
  const perKind = kinds.map(() => ({ latencies: [] as number[], ok: 0, non2xx: 0 }));
  const latencies: number[] = [];
  // autocannon calls the answered request's onResponse, then emits 'response', in the same tick.
  let answered = 0;
  const requests = mixCycle(kinds.map((k) => k.weight)).map((k) => ({
    ...toRequest(kinds[k]!.request),
    onResponse: () => {
      answered = k;
    },
  }));
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration: seconds, pipelining: 1, timeout: 10, requests },
      (err, result) => (err ? reject(err) : resolve({ result, latencies, kinds: perKind })),
    );
    instance.on('error', reject);
    instance.on('response', (_client, status, _bytes, responseTime) => {
      const kind = perKind[answered]!;
      latencies.push(responseTime);
      kind.latencies.push(responseTime);
      if (status >= 200 && status < 300) kind.ok++;
      else kind.non2xx++;
    });
  });
}

function mixFigures(name: string, kinds: MixKind[], runs: MixRun[]): MixFigures {
  const sorted = (values: number[]) => Float64Array.from(values).sort();
  const completed = runs.reduce((s, r) => s + r.latencies.length, 0);
  const kindFigures = kinds.map((k, i): KindFigures => {
    const lat = sorted(runs.flatMap((r) => r.kinds[i]!.latencies));
    return {
      name: k.name,
      completed: lat.length,
      share: completed ? lat.length / completed : NaN,
      rps: runs.reduce((s, r) => s + r.kinds[i]!.ok / r.result.duration, 0),
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      non2xx: runs.reduce((s, r) => s + r.kinds[i]!.non2xx, 0),
    };
  });
  const all = sorted(runs.flatMap((r) => r.latencies));
  return {
    name,
    requests: runs.reduce((s, r) => s + r.result['2xx'], 0),
    seconds: Math.max(...runs.map((r) => r.result.duration)),
    rps: runs.reduce((s, r) => s + r.result['2xx'] / r.result.duration, 0),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    errors: runs.reduce((s, r) => s + r.result.errors, 0),
    non2xx: runs.reduce((s, r) => s + r.result.non2xx, 0),
    kinds: kindFigures,
  };
}

/**
 * The mix against one or more servers at once (e.g. two app instances): the connections are split
 * between them, each connection repeating the same cycle. Warm-up, then the measured run, with the
 * CPU of all the servers counted together.
 */
export async function measureMix(
  name: string,
  kinds: MixKind[],
  urls: string[],
  opts: { connections: number; warmup: number; duration: number; serverPids: number[] },
): Promise<MixFigures> {
  if (opts.connections < urls.length) throw new Error(`${name}: fewer connections (${opts.connections}) than servers (${urls.length})`);
  const split = urls.map((_, i) => Math.floor(opts.connections / urls.length) + (i < opts.connections % urls.length ? 1 : 0));
  const all = (seconds: number) => Promise.all(urls.map((url, i) => runMix(kinds, url, split[i]!, seconds)));
  if (opts.warmup > 0) {
    const w = mixFigures(name, kinds, await all(opts.warmup));
    if (w.errors + w.non2xx > 0) console.warn(`  ${name}: warm-up saw ${w.errors} errors, ${w.non2xx} non-2xx`);
  }
  const cpu = startCpu(opts.serverPids);
  const runs = await all(opts.duration);
  const f = mixFigures(name, kinds, runs);
  f.cpu = cpu.stop(runs.reduce((s, r) => s + r.latencies.length, 0));
  return f;
}
