import t from 'tap';
import { connectDatabase } from '../../src/db/connect.js';
import { serverUrl, TEST_SECRET } from '../support/app.js';
import { postgresBinDir, privateCluster, reportsPerCode, sleep, startLoad, startServer } from '../support/processes.js';

// PostgreSQL stopped and started under the running server while 20 clients submit: whoever was
// shown a code has a report (exactly one), whoever was not was told so with the hotline (503), and
// the server recovers by itself. The cluster is a private one: never the machine's server.

const bin = postgresBinDir();
t.setTimeout(300_000);

// It runs in the PostgreSQL pass (TEST_DATABASE_URL set), though on a cluster of its own.
t.test('PostgreSQL stopped and started under load: every code shown is stored once; 503s meanwhile; recovers', {
  skip: !serverUrl() ? 'runs in the PostgreSQL pass (TEST_DATABASE_URL)' : bin ? false : 'needs the PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin)',
  timeout: 240_000,
}, async (t) => {
  const cluster = await privateCluster(t, bin!);
  const server = await startServer(t, { DATABASE_URL: cluster.url, APP_SECRET: TEST_SECRET, DB_POOL_SIZE: '5' });
  const load = startLoad(server.url, 20);
  try {
    await load.successes(40);
    await cluster.stop();
    const stoppedAt = Date.now();
    await sleep(2_000);
    const restartedAt = Date.now();
    await cluster.start();
    await load.successes(40);
    const outcomes = await load.stop();

    const during = outcomes.filter((o) => o.sentAt > stoppedAt && o.doneAt < restartedAt);
    t.ok(during.length > 0, `${during.length} submissions during the outage`);
    t.ok(during.every((o) => o.status === 503), 'every one of them answered 503');
    t.ok(outcomes.filter((o) => o.status === 503).every((o) => o.hotline), 'every 503 (page or JSON) gives the hotline');
    t.same(outcomes.filter((o) => ![200, 201, 503].includes(o.status!)).map((o) => o.status ?? o.error), [], 'nothing but receipts and 503s');
    t.same(outcomes.filter((o) => [200, 201].includes(o.status!) && !o.code), [], 'every success shows a code');
    t.ok(outcomes.some((o) => o.code && o.sentAt > restartedAt), 'submissions succeed again after the restart, without restarting the app');
    t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'healthy again');
    t.equal(server.child.exitCode, null, 'the same process throughout');

    const codes = outcomes.flatMap((o) => (o.code ? [o.code] : []));
    t.equal(new Set(codes).size, codes.length, `${codes.length} distinct codes`);
    const database = await connectDatabase({ kind: 'pg', url: cluster.url, poolSize: 1 });
    t.teardown(() => database.close());
    const counts = await reportsPerCode(database.db, TEST_SECRET, codes);
    t.same([...counts].filter(([, n]) => n !== 1), [], 'each code shown has exactly one report');
  } finally {
    await load.stop();
  }
});
