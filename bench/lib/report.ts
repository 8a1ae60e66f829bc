import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Figures, MixFigures } from './load.js';
import type { Options } from './options.js';
import type { UploadFigures } from './uploads.js';
import type { ImportFigures } from './register.js';

// Turns one run's figures into the console table and the generated section of docs/PERFORMANCE.md.

/** One staff queue page at one table size, with the bare route running the same query. */
export interface QueueFigures {
  leads: number;
  page: string;
  path: string;
  /** Limit Q: the page's query, rows as JSON. */
  bare: Figures;
  /** Limit Q′: the same query and the same page rendered (bench/servers/limits.ts). */
  fair: Figures;
  app: Figures;
  /** EXPLAIN (ANALYZE, BUFFERS) of the page's query at this size, warm. */
  plan: string;
}

/** The mixed load on one number of app instances, and the same mix on as many bare processes. */
export interface MixedRun {
  instances: number;
  /** The same cycle against limits B, C and Q, in as many limits processes as app instances. */
  bare: MixFigures;
  app: MixFigures;
  /** Peak RSS of each app instance during its measured run (sampled every 100 ms). */
  rss: number[];
  /** Servers that exited during the run or before it (e.g. "app 2 (mixed load) exited (code 1)"). */
  exits: string[];
}

export interface MixedFigures {
  /** Requests of each kind in each connection's cycle, e.g. 16 lookups, 3 submissions, 1 queue page. */
  weights: { kind: string; bare: string; weight: number }[];
  runs: MixedRun[];
  /** Rate-limit keys the instances left under the run's prefix in Redis: 0 would mean they counted in memory. */
  redisKeys: number;
}

export interface BenchResult {
  date: Date;
  machine: { cpus: number; model: string; memoryGb: number; kernel: string };
  node: string;
  /** Git commit of the code measured. */
  revision: string;
  postgres: { version: string; sharedBuffers: string };
  options: Options;
  seed: { reports: number; updates: number; codes: number };
  /** Mean byte size of the real status result pages looked up in the run (limit A serves this many). */
  pageBytes: number;
  /** `npm start` to the first 200 on / with the database already migrated (bench/lib/processes.ts coldStart). */
  coldStartMs: number;
  limitA: Figures;
  limitB: Figures;
  /** Limit B′: the lookup's own query and its result page rendered by the app's template engine. */
  limitBPrime: Figures;
  limitC: Figures;
  status: Figures;
  submission: Figures;
  queue: QueueFigures[];
  /** The mixed load on one and two app instances (absent with --no-mixed). */
  mixed?: MixedFigures;
  /**
   * The app on PostgreSQL: RSS once started, highest RSS sampled during the lookups and submissions
   * and VmHWM right after them; highest RSS sampled during the queue's pages (absent when skipped).
   */
  pgMemory: { idle: number; peakUnderLoad: number; hwm: number; queuePeak?: number };
  /** Report form submissions with one photo, measured last on the same app (bench/lib/uploads.ts). */
  uploads: UploadFigures;
  embedded?: {
    /** VmHWM of the first start on an empty data folder (the bundled initdb template, migrations, seeding). */
    firstStartHwm: number;
    /** `npm start` on the existing data folder to the first 200 on /. */
    coldStartMs: number;
    seeded: number;
    lookup: Figures;
    submission: Figures;
    idle: number;
    peakUnderLoad: number;
    hwm: number;
  };
}

export const RSS_LIMIT = 200 * 1024 * 1024;
/** Issue 14: a restarted embedded server under the bench's embedded load, and its first start. */
export const EMBEDDED_RSS_LIMIT = 250 * 1024 * 1024;
export const EMBEDDED_FIRST_START_LIMIT = 450 * 1024 * 1024;
export const COLD_START_MS = { postgres: 3_000, embedded: 5_000 };
/** Issue 4: the app's peak RSS while 10 submissions with a 3 MB photo are handled at once. */
export const UPLOAD_RSS_LIMIT = 300 * 1024 * 1024;
export const RATIO_TARGET = 0.8;
/** Issue 14: a lookup does a page's work on top of limit B's query; half of limit B is its floor. */
export const LOOKUP_B_TARGET = 0.5;
export const QUEUE_P99_MS = 50;
/** The issue's queue targets are stated at a million leads. */
export const QUEUE_TARGET_LEADS = 1_000_000;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const int = (v: number) => Math.round(v).toLocaleString('en-US');

export interface Verdict {
  label: string;
  met: boolean;
  detail: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
/** "80/15/5" from the weights 16/3/1. */
export const mixLabel = (m: MixedFigures) => {
  const total = m.weights.reduce((a, w) => a + w.weight, 0);
  return m.weights.map((w) => Math.round((100 * w.weight) / total)).join('/');
};
/** Errors and non-2xx of a mixed run, for the console and the verdicts. */
export const mixedProblems = (f: MixFigures) =>
  `${f.errors} errors (socket errors and timeouts), ${f.non2xx} non-2xx` +
  (f.non2xx ? ` (${f.kinds.filter((k) => k.non2xx).map((k) => `${k.name}: ${k.non2xx}`).join(', ')})` : '');

/** The mixed load's bar is zero errors and zero non-2xx, with every server alive to the end. */
export const mixedFailed = (run: MixedRun) => run.app.errors + run.app.non2xx > 0 || run.exits.length > 0;

const noisy = (...fs: Figures[]) => (fs.some(disturbed) ? ', disturbed by other programs: run again' : '');

export function verdicts(r: BenchResult): Verdict[] {
  const statusRatio = r.status.rps / r.limitB.rps;
  const statusFair = r.status.rps / r.limitBPrime.rps;
  const submitRatio = r.submission.rps / r.limitC.rps;
  const all = [
    r.limitA, r.limitB, r.limitBPrime, r.limitC, r.status, r.submission,
    ...r.queue.flatMap((q) => [q.bare, q.fair, q.app]),
    ...(r.mixed?.runs.flatMap((m) => [m.bare, m.app]) ?? []),
    ...(r.embedded ? [r.embedded.lookup, r.embedded.submission] : []),
  ];
  const largest = Math.max(0, ...r.queue.map((q) => q.leads));
  const small = largest < QUEUE_TARGET_LEADS ? ` (measured at ${int(largest)} leads only, not the ${int(QUEUE_TARGET_LEADS)} of the target)` : '';
  const queueVerdicts = r.queue
    .filter((q) => q.leads === largest)
    .flatMap((q): Verdict[] => [
      {
        label: `queue ${q.page}: p99 < ${QUEUE_P99_MS} ms at ${int(q.leads)} leads`,
        met: q.app.p99 < QUEUE_P99_MS && !small,
        detail: `p99 ${ms(q.app.p99)} ms${small}`,
      },
      {
        label: `queue ${q.page} ≥ ${RATIO_TARGET} × limit Q′ at ${int(q.leads)} leads`,
        met: q.app.rps / q.fair.rps >= RATIO_TARGET && !small,
        detail: `${(q.app.rps / q.fair.rps).toFixed(2)} × (${int(q.app.rps)} vs ${int(q.fair.rps)} req/s)${noisy(q.app, q.fair)}${small}`,
      },
    ]);
  const bad = all.filter((f) => f.errors + f.non2xx > 0);
  return [
    {
      label: `status lookup ≥ ${RATIO_TARGET} × limit B′`,
      met: statusFair >= RATIO_TARGET,
      detail: `${statusFair.toFixed(2)} × (${int(r.status.rps)} vs ${int(r.limitBPrime.rps)} req/s)${noisy(r.status, r.limitBPrime)}`,
    },
    {
      label: `status lookup ≥ ${LOOKUP_B_TARGET} × limit B`,
      met: statusRatio >= LOOKUP_B_TARGET,
      detail: `${statusRatio.toFixed(2)} × (${int(r.status.rps)} vs ${int(r.limitB.rps)} req/s)${noisy(r.status, r.limitB)}`,
    },
    {
      label: `submission ≥ ${RATIO_TARGET} × limit C`,
      met: submitRatio >= RATIO_TARGET,
      detail: `${submitRatio.toFixed(2)} × (${int(r.submission.rps)} vs ${int(r.limitC.rps)} req/s)${noisy(r.submission, r.limitC)}`,
    },
    ...queueVerdicts,
    ...mixedVerdicts(r),
    {
      label: 'zero errors and non-2xx',
      met: bad.length === 0,
      detail: bad.length ? bad.map((f) => `${f.name}: ${f.errors} errors, ${f.non2xx} non-2xx`).join('; ') : 'none in any measured run',
    },
    {
      label: `app peak RSS on PostgreSQL < ${mb(RSS_LIMIT)}`,
      met: Math.max(r.pgMemory.peakUnderLoad, r.pgMemory.hwm) < RSS_LIMIT,
      detail: `${mb(r.pgMemory.peakUnderLoad)} under lookups and submissions, ${mb(r.pgMemory.hwm)} VmHWM after them`,
    },
    {
      label: `peak RSS < ${mb(UPLOAD_RSS_LIMIT)} with ${r.uploads.concurrent.count} photo uploads at once`,
      met: r.uploads.concurrent.peakRss < UPLOAD_RSS_LIMIT && r.uploads.failures === 0,
      detail:
        `${mb(r.uploads.concurrent.peakRss)} (${mb(r.uploads.concurrent.rssBefore)} before)` +
        (r.uploads.failures ? `; ${r.uploads.failures} submissions failed` : ''),
    },
    {
      label: `cold start on PostgreSQL < ${COLD_START_MS.postgres / 1000} s`,
      met: r.coldStartMs < COLD_START_MS.postgres,
      detail: `${seconds(r.coldStartMs)} from npm start to the first 200 on /`,
    },
    ...(r.embedded ? embeddedVerdicts(r.embedded) : []),
  ];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function embeddedVerdicts(e: NonNullable<BenchResult['embedded']>): Verdict[] {
  return [
    {
      label: `embedded cold start < ${COLD_START_MS.embedded / 1000} s`,
      met: e.coldStartMs < COLD_START_MS.embedded,
      detail: `${seconds(e.coldStartMs)} from npm start on the existing data folder to the first 200 on /`,
    },
    {
      label: `embedded, restarted: RSS < ${mb(EMBEDDED_RSS_LIMIT)} under its load`,
      met: Math.max(e.peakUnderLoad, e.hwm) < EMBEDDED_RSS_LIMIT,
      detail: `${mb(e.peakUnderLoad)} highest sample, ${mb(e.hwm)} VmHWM (${mb(e.idle)} once started)`,
    },
    {
      label: `embedded first start (empty data folder) < ${mb(EMBEDDED_FIRST_START_LIMIT)}`,
      met: e.firstStartHwm < EMBEDDED_FIRST_START_LIMIT,
      detail: `${mb(e.firstStartHwm)} VmHWM`,
    },
  ];
}

/** The mixed load's bar: zero errors and zero non-2xx on each number of instances; limits counted in Redis. */
function mixedVerdicts(r: BenchResult): Verdict[] {
  const m = r.mixed;
  if (!m) return [];
  return [
    ...m.runs.map((run) => ({
      label: `mixed load ${mixLabel(m)}, ${plural(run.instances, 'instance')}: zero errors and zero non-2xx`,
      met: !mixedFailed(run),
      detail:
        (mixedFailed(run) ? `FAIL — ${[mixedProblems(run.app), ...run.exits].join('; ')} — in` : 'none in') +
        ` ${int(run.app.requests + run.app.non2xx)} answers; ${int(run.app.rps)} req/s, ${(run.app.rps / run.bare.rps).toFixed(2)} × the bare mix${noisy(run.app, run.bare)}`,
    })),
    {
      label: "mixed load: the instances' rate limits counted in Redis",
      met: m.redisKeys > 0,
      detail: m.redisKeys > 0 ? `${plural(m.redisKeys, 'key')} under the run's prefix` : 'no key in Redis: the instances counted in memory',
    },
  ];
}

/** One line on the uploads, for the console. */
export function uploadSummary(u: UploadFigures): string {
  const photo = `${(u.photo.bytes / 1024 / 1024).toFixed(1)} MB ${u.photo.width}×${u.photo.height} photo`;
  return (
    `${photo}: median ${Math.round(u.sequential.medianMs)} ms (p90 ${Math.round(u.sequential.p90Ms)} ms) over ${u.sequential.count} in a row; ` +
    `${u.concurrent.count} at once in ${Math.round(u.concurrent.wallMs)} ms, app RSS ${mb(u.concurrent.rssBefore)} → peak ${mb(u.concurrent.peakRss)}` +
    (u.failures ? `; ${u.failures} failed` : '')
  );
}

interface Row {
  name: string;
  f: Figures;
  ratio: string;
}

function rows(r: BenchResult): Row[] {
  const ratio = (f: Figures, limit: Figures, label: string) => `${(f.rps / limit.rps).toFixed(2)} × ${label}`;
  return [
    { name: 'limit A: bare Fastify, static page of the same size', f: r.limitA, ratio: '' },
    { name: 'limit B: bare Fastify + one indexed SELECT (pg)', f: r.limitB, ratio: '' },
    { name: "limit B′: bare Fastify + the lookup's query (pg) + its page rendered", f: r.limitBPrime, ratio: '' },
    { name: 'limit C: bare Fastify + BEGIN, 2 INSERTs, COMMIT (pg)', f: r.limitC, ratio: '' },
    {
      name: 'app: POST /status (form) lookup',
      f: r.status,
      ratio: `${ratio(r.status, r.limitBPrime, 'B′')}, ${ratio(r.status, r.limitB, 'B')} (${ratio(r.status, r.limitA, 'A')})`,
    },
    { name: 'app: POST /api/v1/reports submission', f: r.submission, ratio: ratio(r.submission, r.limitC, 'C') },
    ...(r.mixed?.runs ?? []).flatMap((m) => {
      const label = mixLabel(r.mixed!);
      const one = r.mixed!.runs.find((x) => x.instances === 1);
      const scale = m.instances > 1 && one ? ` (${(m.app.rps / one.app.rps).toFixed(2)} × 1 instance)` : '';
      return [
        { name: `bare mix: limits B/C/Q ${label}, ${plural(m.instances, 'process')}`, f: m.bare, ratio: '' },
        { name: `app: mixed load ${label}, ${plural(m.instances, 'instance')}`, f: m.app, ratio: `${ratio(m.app, m.bare, 'bare mix')}${scale}` },
      ];
    }),
    ...r.queue.flatMap((q) => [
      { name: `limit Q: bare Fastify + the queue's ${q.page} query (pg), ${int(q.leads)} leads`, f: q.bare, ratio: '' },
      { name: `limit Q′: the same query + the queue page rendered, ${int(q.leads)} leads`, f: q.fair, ratio: '' },
      { name: `app: GET ${q.path}, ${int(q.leads)} leads`, f: q.app, ratio: `${ratio(q.app, q.fair, 'Q′')}, ${ratio(q.app, q.bare, 'Q')}` },
    ]),
  ];
}

function table(header: string[], body: string[][]): string {
  const lines = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

/** True when other programs took a fifth or more of the CPU during the step: its figure is low. */
export function disturbed(f: Figures): boolean {
  const c = f.cpu;
  if (!c) return false;
  return c.other >= 0.2 * (c.server + c.postgres + c.loadGenerator + c.other);
}

const HEADER = ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'ratio'];
const cells = (name: string, f: Figures, ratio: string) => [
  name,
  `${int(f.rps)}${disturbed(f) ? ' †' : ''}`,
  ms(f.p50),
  ms(f.p99),
  String(f.errors),
  String(f.non2xx),
  ratio,
];

const CPU_HEADER = ['target', 'server µs', 'PostgreSQL µs', 'load generator µs', 'other µs', 'machine busy'];
function cpuCells(name: string, f: Figures): string[] {
  const c = f.cpu;
  if (!c) return [name, '', '', '', '', ''];
  return [name, int(c.server), int(c.postgres), int(c.loadGenerator), int(c.other), `${Math.round(c.busy * 100)}%`];
}

const KIND_HEADER = ['mixed load', 'kind', 'share of answers', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx'];
/** One line per kind of request in each mixed run (the app's, then the bare mix's). */
function kindRows(m: MixedFigures): string[][] {
  const line = (run: string, f: MixFigures) =>
    f.kinds.map((k) => [run, k.name, `${(100 * k.share).toFixed(1)}%`, int(k.rps), ms(k.p50), ms(k.p99), String(k.non2xx)]);
  return m.runs.flatMap((run) => [
    ...line(`app, ${plural(run.instances, 'instance')}`, run.app),
    ...line(`bare, ${plural(run.instances, 'process')}`, run.bare),
  ]);
}

export function printResult(r: BenchResult): void {
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - [...s].length));
  const lines = rows(r).map((x) => cells(x.name, x.f, x.ratio));
  if (r.embedded) {
    lines.push(cells('embedded: POST /status (with submissions)', r.embedded.lookup, ''));
    lines.push(cells('embedded: POST /api/v1/reports (with lookups)', r.embedded.submission, ''));
  }
  const print = (header: string[], body: string[][]) => {
    const w = header.map((h, i) => Math.max([...h].length, ...body.map((l) => [...l[i]!].length)));
    console.log([header, ...body].map((l) => l.map((c, i) => pad(c, w[i]!)).join('  ')).join('\n'));
  };
  console.log('');
  print(HEADER, lines);
  if (r.mixed) {
    console.log(`\nMixed load, per kind of request (each connection repeats a cycle of ${r.mixed.weights.map((w) => `${w.weight} ${w.kind}`).join(', ')}):`);
    print(KIND_HEADER, kindRows(r.mixed));
  }
  console.log('\nCPU time per request (all processes on this machine):');
  print(CPU_HEADER, rows(r).map((x) => cpuCells(x.name, x.f)));
  console.log('');
  console.log(
    `app RSS on PostgreSQL: ${mb(r.pgMemory.idle)} once started, peak under lookups and submissions ${mb(r.pgMemory.peakUnderLoad)}, ` +
      `VmHWM ${mb(r.pgMemory.hwm)}${r.pgMemory.queuePeak !== undefined ? `; peak during the queue's pages ${mb(r.pgMemory.queuePeak)}` : ''}`,
  );
  if (r.mixed) {
    console.log(`app RSS in the mixed load: ${r.mixed.runs.map((m) => `${plural(m.instances, 'instance')} ${m.rss.map(mb).join(' + ')}`).join('; ')} (peaks)`);
  }
  console.log(`uploads: ${uploadSummary(r.uploads)}`);
  if (r.embedded) {
    console.log(
      `app RSS embedded (PGlite): first start ${mb(r.embedded.firstStartHwm)} VmHWM; restarted, ${mb(r.embedded.idle)} once started, ` +
        `peak under load ${mb(r.embedded.peakUnderLoad)}, VmHWM ${mb(r.embedded.hwm)}`,
    );
  }
  console.log('');
  for (const v of verdicts(r)) console.log(`${v.met ? 'MET    ' : 'NOT MET'}  ${v.label}: ${v.detail}`);
}

export function markdown(r: BenchResult): string {
  const o = r.options;
  const out: string[] = [];
  out.push(`Generated by \`npm run bench\` on ${r.date.toISOString().replace(/\.\d+Z$/, 'Z')}. Do not edit by hand: the next run rewrites this section.`);
  out.push('');
  out.push(
    `- Machine: ${r.machine.cpus} cores (${r.machine.model}), ${r.machine.memoryGb} GB RAM, Linux ${r.machine.kernel}; ` +
      'server, PostgreSQL and load generator on the same machine',
  );
  out.push(`- Node ${r.node}; ${r.postgres.version} (shared_buffers ${r.postgres.sharedBuffers}); code at ${r.revision}`);
  out.push(
    `- Load: autocannon, ${o.connections} connections, no pipelining; each target warmed up ${o.warmup} s, then measured ${o.duration} s. ` +
      `DB pool ${o.poolSize} for the app and for the bare \`pg\` routes.`,
  );
  out.push(
    `- Data: ${int(r.seed.reports)} reports (${int(r.seed.updates)} updates) seeded in a fresh database; lookups rotate through ${r.seed.codes} existing codes; ` +
      `status result page ${int(r.pageBytes)} bytes on average (limit A serves that many).`,
  );
  out.push('');
  out.push(table(HEADER, rows(r).map((x) => cells(x.name, x.f, x.ratio))));
  out.push('');
  if (rows(r).some((x) => disturbed(x.f))) {
    out.push('† Other programs used a fifth or more of the CPU during this step (column "other" below): the figure is low.');
    out.push('');
  }
  out.push('CPU time per request during each measured run, from `/proc` (the machine has ' + r.machine.cpus + ' cores; "other" is');
  out.push('kernel work not charged to a process and any other program running at the time):');
  out.push('');
  out.push(table(CPU_HEADER, rows(r).map((x) => cpuCells(x.name, x.f))));
  out.push('');
  out.push('| memory of the app process | RSS |');
  out.push('| --- | --- |');
  out.push(`| PostgreSQL mode, once started (before any load) | ${mb(r.pgMemory.idle)} |`);
  out.push(`| PostgreSQL mode, highest sample during the lookups and submissions | ${mb(r.pgMemory.peakUnderLoad)} |`);
  out.push(`| PostgreSQL mode, VmHWM right after them | ${mb(r.pgMemory.hwm)} |`);
  if (r.pgMemory.queuePeak !== undefined) out.push(`| PostgreSQL mode, highest sample during the queue's pages | ${mb(r.pgMemory.queuePeak)} |`);
  out.push(`| PostgreSQL mode, before ${r.uploads.concurrent.count} photo uploads at once | ${mb(r.uploads.concurrent.rssBefore)} |`);
  out.push(`| PostgreSQL mode, highest sample (every 20 ms) during them | ${mb(r.uploads.concurrent.peakRss)} |`);
  for (const m of r.mixed?.runs ?? []) {
    out.push(`| mixed load, ${plural(m.instances, 'instance')} (Redis), highest sample of each during its load | ${m.rss.map(mb).join(' + ')} |`);
  }
  if (r.embedded) {
    const e = r.embedded;
    out.push(`| embedded (PGlite), first start on an empty data folder (bundled initdb template), VmHWM | ${mb(e.firstStartHwm)} |`);
    out.push(`| embedded (PGlite), restarted, once started | ${mb(e.idle)} |`);
    out.push(`| embedded (PGlite), restarted, highest sample during its load | ${mb(e.peakUnderLoad)} |`);
    out.push(`| embedded (PGlite), restarted, VmHWM | ${mb(e.hwm)} |`);

    out.push('');
    const half = Math.ceil(o.connections / 2);
    out.push(
      `Embedded mode (PGlite, temp data folder, ${e.seeded} reports submitted through the API, restarted): lookups on ${half} connections ` +
        `and submissions on ${o.connections - half} at the same time, ${o.warmup} s warm-up, ${o.embeddedDuration} s measured.`,
    );
    out.push('');
    out.push(
      table(HEADER.slice(0, 6), [
        cells('embedded: POST /status', e.lookup, '').slice(0, 6),
        cells('embedded: POST /api/v1/reports', e.submission, '').slice(0, 6),
      ]),
    );
  }
  if (r.mixed) out.push('', ...mixedMarkdown(r.mixed, o));
  const u = r.uploads;
  out.push('');
  out.push(
    `Report form submissions with one photo (\`bench/lib/uploads.ts\`): a ${(u.photo.bytes / 1024 / 1024).toFixed(1)} MB JPEG of ` +
      `${u.photo.width}×${u.photo.height} pixels with EXIF, GPS and an orientation, posted as a browser does (multipart); the app ` +
      'turns it upright, re-encodes it without metadata, seals it and stores it with the report in one transaction. ' +
      `${u.sequential.count} one after the other (after 2 to warm up), then ${u.concurrent.count} at once:`,
  );
  out.push('');
  out.push('| submissions with a photo | time |');
  out.push('| --- | --- |');
  out.push(`| one at a time: median (p90; min–max) | ${Math.round(u.sequential.medianMs)} ms (${Math.round(u.sequential.p90Ms)}; ${Math.round(u.sequential.minMs)}–${Math.round(u.sequential.maxMs)} ms) |`);
  out.push(`| ${u.concurrent.count} at once, until the last receipt | ${Math.round(u.concurrent.wallMs)} ms |`);
  if (r.queue.length) {
    out.push('');
    out.push(
      `Staff queue: leads seeded up to each size (\`src/db/seed-leads.ts\`), then VACUUM ANALYZE; the app's pages are fetched by a signed-in ` +
        "investigator; limit Q runs the very SQL the app sends (compiled from `queueQuery`) through `pg` and answers the rows as JSON. " +
        'Query plans of the measured pages (EXPLAIN ANALYZE, warm):',
    );
    for (const q of r.queue) {
      out.push('');
      out.push(`${q.page}, ${int(q.leads)} leads (\`${q.path}\`):`);
      out.push('');
      out.push('```');
      out.push(q.plan);
      out.push('```');
    }
  }
  out.push('');
  out.push('| target | result |');
  out.push('| --- | --- |');
  for (const v of verdicts(r)) out.push(`| ${v.label} | ${v.met ? '**met**' : '**not met**'}: ${v.detail} |`);
  return out.join('\n');
}

function mixedMarkdown(m: MixedFigures, o: Options): string[] {
  const cycle = m.weights.map((w) => `${w.weight} ${w.kind}`).join(', ');
  const bare = m.weights.map((w) => `${w.weight} ${w.bare}`).join(', ');
  const two = m.runs.find((x) => x.instances === 2);
  return [
    `Mixed load ${mixLabel(m)} (\`--no-mixed\` skips it): every connection repeats one cycle of ${cycle}, spread out, so ` +
      'the share of answers is the cycle\'s whatever each kind costs. Against one app instance, then ' +
      (two ? `two (another port, same database; the ${o.connections} connections split ${Math.ceil(o.connections / 2)}/${Math.floor(o.connections / 2)} between the ports), ` : '') +
      '`REDIS_URL` set so the rate-limit counters are shared in Redis (thresholds lifted as above); the bare mix runs the same cycle ' +
      `against the limits server (${bare}) in as many processes. Warm-up ${o.warmup} s, then ${o.duration} s measured. ` +
      `Redis held ${plural(m.redisKeys, 'rate-limit key')} of the run afterwards.`,
    '',
    table(KIND_HEADER, kindRows(m)),
  ];
}

export const BEGIN = '<!-- BEGIN GENERATED by npm run bench -->';
export const END = '<!-- END GENERATED -->';

/** Replaces the generated section of the file, keeping the hand-written text above it. */
export function writeDoc(file: string, r: BenchResult): void {
  const section = `${BEGIN}\n${markdown(r)}\n${END}\n`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n\n';
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + END.length).replace(/^\n/, '')
      : `${current.replace(/\n*$/, '\n\n')}## Latest run\n\n${section}`;
  writeFileSync(file, next);
}

// ---------------------------------------------------------------------------------------------
// The household register's part (issue 12): its own generated section, so that a run of that part
// alone (--register-only) rewrites only it.

/** One register page at the full size, with the bare route running its statements. */
export interface RegisterPageFigures {
  page: string;
  path: string;
  households: number;
  bare: Figures;
  app: Figures;
  plan: string;
}

export interface RegisterFigures {
  date: Date;
  revision: string;
  imports: ImportFigures[];
  /** refreshFlags over every village, at each size. */
  refresh: { households: number; ms: number; raised: number; resolved: number }[];
  /** Seconds spent seeding up to the page size (SQL, not measured against a target). */
  seedSeconds: number;
  pages: RegisterPageFigures[];
  /** Highest RSS of the app during the register pages' loads. */
  pagesPeakRss: number;
  machineBusy: string;
}

export const IMPORT_SECONDS = 30;
export const IMPORT_RSS_LIMIT = 300 * 1024 * 1024;
export const REGISTER_P99_MS = 50;
export const REGISTER_TARGET_HOUSEHOLDS = 1_000_000;
export const IMPORT_TARGET_ROWS = 100_000;

export function registerVerdicts(r: RegisterFigures): Verdict[] {
  const out: Verdict[] = [];
  for (const i of r.imports) {
    const small = i.rows < IMPORT_TARGET_ROWS ? ` (${int(i.rows)} rows only, not the ${int(IMPORT_TARGET_ROWS)} of the target)` : '';
    const seconds = (i.previewMs + i.commitMs) / 1000;
    out.push({
      label: `import of ${int(IMPORT_TARGET_ROWS)} households from ${i.kind.toUpperCase()} (preview + commit) < ${IMPORT_SECONDS} s`,
      met: seconds < IMPORT_SECONDS && !small && !i.error,
      detail: i.error ? `FAILED — ${i.error}` : `${seconds.toFixed(1)} s (preview ${(i.previewMs / 1000).toFixed(1)} s, commit ${(i.commitMs / 1000).toFixed(1)} s)${small}`,
    });
    out.push({
      label: `app RSS during the ${i.kind.toUpperCase()} import < ${mb(IMPORT_RSS_LIMIT)}`,
      met: i.peakRss < IMPORT_RSS_LIMIT && !small,
      detail: `peak ${mb(i.peakRss)} (${mb(i.rssBefore)} before)${small}`,
    });
  }
  for (const p of r.pages) {
    const small = p.households < REGISTER_TARGET_HOUSEHOLDS ? ` (at ${int(p.households)} households only)` : '';
    out.push({
      label: `register page (${p.page}): p99 < ${REGISTER_P99_MS} ms at ${int(REGISTER_TARGET_HOUSEHOLDS)} households`,
      met: p.app.p99 < REGISTER_P99_MS && !small && p.app.errors + p.app.non2xx === 0,
      detail: `p99 ${ms(p.app.p99)} ms, p50 ${ms(p.app.p50)} ms; bare route p99 ${ms(p.bare.p99)} ms${noisy(p.app, p.bare)}${small}` +
        (p.app.errors + p.app.non2xx ? `; ${p.app.errors} errors, ${p.app.non2xx} non-2xx` : ''),
    });
  }
  return out;
}

export function printRegister(r: RegisterFigures): void {
  for (const i of r.imports) {
    if (i.error) console.log(`import ${i.kind}: ${i.error}`);
    console.log(`import ${i.kind}: ${int(i.rows)} rows, ${mb(i.bytes)}: preview ${(i.previewMs / 1000).toFixed(1)} s, commit ${(i.commitMs / 1000).toFixed(1)} s, app RSS ${mb(i.rssBefore)} → peak ${mb(i.peakRss)}`);
  }
  for (const f of r.refresh) console.log(`refreshFlags at ${int(f.households)} households: ${(f.ms / 1000).toFixed(1)} s (${int(f.raised)} raised, ${int(f.resolved)} resolved)`);
  for (const p of r.pages) {
    console.log(`register ${p.page}: app ${int(p.app.rps)} req/s p50 ${ms(p.app.p50)} p99 ${ms(p.app.p99)} ms; bare ${int(p.bare.rps)} req/s p50 ${ms(p.bare.p50)} p99 ${ms(p.bare.p99)} ms`);
  }
  for (const v of registerVerdicts(r)) console.log(`${v.met ? 'MET    ' : 'NOT MET'}  ${v.label}: ${v.detail}`);
}

export function registerMarkdown(r: RegisterFigures): string {
  const out: string[] = [];
  out.push(`Generated by \`npm run bench\` (register part) on ${r.date.toISOString().replace(/\.\d+Z$/, 'Z')}, code at ${r.revision}. ${r.machineBusy}`);
  out.push('');
  out.push('| import through the app (preview, then commit) | rows | file | preview | commit | total | app RSS before → peak |');
  out.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const i of r.imports) {
    out.push(`| ${i.kind.toUpperCase()} | ${int(i.rows)} | ${mb(i.bytes)} | ${(i.previewMs / 1000).toFixed(1)} s | ${(i.commitMs / 1000).toFixed(1)} s | ${((i.previewMs + i.commitMs) / 1000).toFixed(1)} s${i.error ? ' (refused)' : ''} | ${mb(i.rssBefore)} → ${mb(i.peakRss)} |`);
  }
  out.push('');
  out.push('| flag refresh over every village (refreshFlags, one transaction) | time | raised | resolved |');
  out.push('| --- | --- | --- | --- |');
  for (const f of r.refresh) out.push(`| ${int(f.households)} households | ${(f.ms / 1000).toFixed(1)} s | ${int(f.raised)} | ${int(f.resolved)} |`);
  out.push('');
  out.push(`Seeding the register up to ${int(r.pages[0]?.households ?? 0)} households in SQL took ${Math.round(r.seedSeconds)} s (not a target).`);
  out.push('');
  out.push(table(HEADER, r.pages.flatMap((p) => [
    cells(`limit R: bare Fastify + the page's statements (pg) + its template, ${p.page}`, p.bare, ''),
    cells(`app: GET ${p.path}`, p.app, `${(p.app.rps / p.bare.rps).toFixed(2)} × R`),
  ])));
  out.push('');
  out.push(table(CPU_HEADER, r.pages.flatMap((p) => [cpuCells(`limit R, ${p.page}`, p.bare), cpuCells(`app, ${p.page}`, p.app)])));
  out.push('');
  out.push(`App RSS during the register pages' loads: peak ${mb(r.pagesPeakRss)}.`);
  for (const p of r.pages) {
    out.push('');
    out.push(`Plan of the page's list query, ${p.page}, ${int(p.households)} households (\`${p.path}\`):`);
    out.push('');
    out.push('```');
    out.push(p.plan);
    out.push('```');
  }
  out.push('');
  out.push('| target | result |');
  out.push('| --- | --- |');
  for (const v of registerVerdicts(r)) out.push(`| ${v.label} | ${v.met ? '**met**' : '**not met**'}: ${v.detail} |`);
  return out.join('\n');
}

export const REGISTER_BEGIN = '<!-- BEGIN GENERATED register part, by npm run bench -->';
export const REGISTER_END = '<!-- END GENERATED register part -->';

/** Replaces the register's generated section (appended under its own heading the first time). */
export function writeRegisterDoc(file: string, r: RegisterFigures): void {
  const section = `${REGISTER_BEGIN}\n${registerMarkdown(r)}\n${REGISTER_END}\n`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n\n';
  const start = current.indexOf(REGISTER_BEGIN);
  const end = current.indexOf(REGISTER_END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + REGISTER_END.length).replace(/^\n/, '')
      : `${current.replace(/\n*$/, '\n\n')}## The household register: latest run\n\n${section}`;
  writeFileSync(file, next);
}
