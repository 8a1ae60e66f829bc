import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connectDatabase } from '../../src/db/connect.js';
import { serverUrl } from '../support/app.js';
import { reportsPerCode, startLoad, startServer } from '../support/processes.js';

// The embedded database (PGlite) killed with SIGKILL in the middle of submissions — a power cut,
// the OOM killer: started again on the same data folder, the server opens it (the dead process's
// lock does not block it) and every report whose code was shown is there, once.

t.setTimeout(300_000);

t.test('embedded mode: kill -9 mid-submission, restart on the same folder, every code shown is there', {
  skip: serverUrl() ? 'runs in the embedded-database pass (without TEST_DATABASE_URL)' : false,
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fault-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // No APP_SECRET: the server makes its secret file, as a trial install does.
  const env = { DATA_DIR: dir };

  const first = await startServer(t, env);
  const load = startLoad(first.url, 20);
  let outcomes;
  try {
    await load.successes(30);
    first.child.kill('SIGKILL');
    t.same(await first.exited, { code: null, signal: 'SIGKILL' });
  } finally {
    outcomes = await load.stop();
  }
  t.match(readFileSync(join(dir, 'pglite.lock'), 'utf8'), String(first.child.pid), "the killed process's lock file is left behind");
  const codes = outcomes.flatMap((o) => (o.code ? [o.code] : []));
  t.ok(codes.length >= 30, `${codes.length} codes shown before the kill`);
  t.ok(outcomes.some((o) => o.status === null), 'requests were in flight when it died');

  const second = await startServer(t, env);
  t.equal((await fetch(`${second.url}/healthz`)).status, 200, 'the restarted server opens the folder');
  for (const code of codes) {
    const res = await fetch(`${second.url}/api/v1/status`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
    });
    if (res.status !== 200) t.fail(`code ${codes.indexOf(code)} not found after the restart (${res.status})`);
  }
  t.pass(`all ${codes.length} codes found through the restarted server`);
  const more = startLoad(second.url, 2);
  await more.successes(5).finally(() => more.stop());
  t.pass('and it takes new reports');
  second.child.kill('SIGTERM');
  t.same(await second.exited, { code: 0, signal: null }, 'and shuts down cleanly');

  const database = await connectDatabase({ kind: 'pglite', dataDir: join(dir, 'pgdata') });
  t.teardown(() => database.close());
  const secret = readFileSync(join(dir, 'app-secret'), 'utf8').trim();
  const counts = await reportsPerCode(database.db, secret, codes);
  t.same([...counts].filter(([, n]) => n !== 1), [], 'each code shown has exactly one report');
});
