import { writeHeapSnapshot } from 'node:v8';
import type { Test } from 'tap';
import { registerCsv } from './lib/register.js';
import { campaign, testApp } from '../test/support/app.js';
import { multipart } from '../test/support/attachments.js';
import { signIn } from '../test/support/staff.js';

// Where a 100,000-row CSV import's memory goes (issue 12): the app built in this process on a
// scratch database (TEST_DATABASE_URL, else PGlite), a clerk signed in, the file uploaded through
// the real routes (inject), process.memoryUsage() sampled every 100 ms through the preview and the
// commit. Run: TEST_DATABASE_URL=postgres://… node --import tsx bench/import-memory.ts [rows] [--snapshot]

const rows = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const snapshot = process.argv.includes('--snapshot');
const MB = (n: number) => Math.round(n / 1024 / 1024);
type Sample = ReturnType<typeof process.memoryUsage>;

function sampler() {
  const peak: Sample = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const take = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof Sample)[]) peak[k] = Math.max(peak[k], m[k]);
  };
  take();
  const timer = setInterval(take, 100);
  return () => {
    clearInterval(timer);
    take();
    return peak;
  };
}
const show = (label: string, m: Sample, ms?: number) =>
  console.log(`${label.padEnd(22)} rss ${MB(m.rss)} MB, heapUsed ${MB(m.heapUsed)}, heapTotal ${MB(m.heapTotal)}, external ${MB(m.external)}, arrayBuffers ${MB(m.arrayBuffers)}${ms === undefined ? '' : `  (${(ms / 1000).toFixed(1)} s)`}`);

const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => teardowns.push(fn) } as unknown as Test;
try {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  let file: Buffer | null = registerCsv(campaign, 0, rows);
  const size = file.length;
  let body: ReturnType<typeof multipart> | null = multipart({ _csrf: clerk.csrf }, [{ field: 'file', name: 'households.csv', bytes: file, type: 'text/csv' }]);
  file = null;
  console.log(`${rows} rows, ${MB(size)} MB CSV; database: ${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`);
  globalThis.gc?.();
  show('before', process.memoryUsage());

  let stop = sampler();
  let t0 = performance.now();
  const preview = await ta.app.inject({ method: 'POST', url: '/staff/households/import', headers: { ...body.headers, cookie: clerk.cookie }, payload: body.payload });
  body = null;
  show('peak during preview', stop(), performance.now() - t0);
  const id = /action="\/staff\/households\/import\/(\d+)\/commit"/.exec(preview.body)?.[1];
  if (preview.statusCode !== 200 || !id) throw new Error(`preview: HTTP ${preview.statusCode}`);
  show('after preview', process.memoryUsage());

  stop = sampler();
  t0 = performance.now();
  const at = Number(/^--snapshot-at=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--snapshot-at=')) ?? '')?.[1] ?? 0);
  if (at) setTimeout(() => console.log('heap snapshot during commit:', writeHeapSnapshot()), at * 1000).unref();
  const done = await clerk.post(`/staff/households/import/${id}/commit`);
  show('peak during commit', stop(), performance.now() - t0);
  if (done.statusCode !== 200) throw new Error(`commit: HTTP ${done.statusCode}\n${ta.logs.slice(-3).join('')}`);
  show('after commit', process.memoryUsage());
  await new Promise((r) => setTimeout(r, 2000));
  globalThis.gc?.();
  show('2 s later (after gc)', process.memoryUsage());
  if (snapshot) console.log('heap snapshot:', writeHeapSnapshot());
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
