import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/db/migrate.js';
import { memoryOf, sampleRss, startApp, stop } from './lib/processes.js';
import { registerCsv, staffSession } from './lib/register.js';
import { campaign } from '../test/support/app.js';

// The same import as bench/import-memory.ts, but against the app as `npm start` runs it, in its own
// process (as the register bench measures it): two 100,000-row CSVs one after the other, the app's
// RSS from /proc sampled every 100 ms. Run: node --import tsx bench/import-memory-app.ts
// postgres://…/postgres [rows] [--app-dir=DIR] (DIR: another checkout, to compare).

const admin = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rows = Number(process.argv.slice(3).find((a) => /^\d+$/.test(a)) ?? 100_000);
const appDir = resolve(process.argv.find((a) => a.startsWith('--app-dir='))?.slice(10) ?? '.');
const MB = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
const name = `importmem_${randomBytes(4).toString('hex')}`;
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`CREATE DATABASE ${name}`);
const url = new URL(admin);
url.pathname = `/${name}`;
try {
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migrate(pool);
  await pool.end();
  const app = await startApp('app', appDir, { DATABASE_URL: url.toString(), APP_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn' });
  try {
    const clerk = await staffSession(url.toString(), 'clerk1', 'clerk');
    const rss = () => MB(memoryOf(app.pid)?.rss ?? NaN);
    console.log(`${rows} rows per CSV; app ${appDir}; idle ${rss()}`);
    for (const n of [0, 1]) {
      const bytes = registerCsv(campaign, n * rows, rows);
      const form = new FormData();
      form.append('_csrf', clerk.csrf);
      form.append('file', new Blob([new Uint8Array(bytes)]), 'households.csv');
      const before = rss();
      let peak = sampleRss(app.pid);
      let t0 = performance.now();
      const page = await (await fetch(`${app.url}/staff/households/import`, { method: 'POST', headers: { cookie: clerk.cookie }, body: form })).text();
      const preview = [MB(peak.stop()), ((performance.now() - t0) / 1000).toFixed(1)];
      const id = /action="\/staff\/households\/import\/(\d+)\/commit"/.exec(page)?.[1];
      if (!id) throw new Error('preview refused the file');
      const afterPreview = rss();
      peak = sampleRss(app.pid);
      t0 = performance.now();
      const done = await fetch(`${app.url}/staff/households/import/${id}/commit`, {
        method: 'POST',
        headers: { cookie: clerk.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: clerk.csrf }),
      });
      await done.text();
      const commit = [MB(peak.stop()), ((performance.now() - t0) / 1000).toFixed(1)];
      if (done.status !== 200) throw new Error(`commit: HTTP ${done.status}`);
      const after = rss();
      await new Promise((r) => setTimeout(r, 10_000));
      console.log(`CSV ${n + 1} (${MB(bytes.length)}): before ${before}; preview peak ${preview[0]} (${preview[1]} s), after ${afterPreview}; commit peak ${commit[0]} (${commit[1]} s), after ${after}, 10 s later ${rss()}`);
    }
  } finally {
    await stop(app);
  }
} finally {
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}
