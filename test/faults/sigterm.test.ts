import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { serverUrl, testDatabase, TEST_SECRET } from '../support/app.js';
import { reportsPerCode, startLoad, startServer } from '../support/processes.js';

// SIGTERM while 20 clients submit (a deploy, `docker stop`): the server stops accepting, answers
// what it has in flight, closes the database and exits 0 well within 10 s; every code it showed
// was stored.

t.setTimeout(300_000);

t.test('SIGTERM under load: drains, exits 0 within 10 s, loses no report it confirmed', { timeout: 240_000 }, async (t) => {
  let env: Record<string, string>;
  let open: () => Promise<DatabaseHandle>;
  if (serverUrl()) {
    const database = await testDatabase(t);
    env = { DATABASE_URL: database.url!, APP_SECRET: TEST_SECRET };
    open = async () => database;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'fault-sigterm-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    env = { DATA_DIR: dir, APP_SECRET: TEST_SECRET };
    open = async () => {
      const database = await connectDatabase({ kind: 'pglite', dataDir: join(dir, 'pgdata') });
      t.teardown(() => database.close());
      return database;
    };
  }
  const server = await startServer(t, env);
  const load = startLoad(server.url, 20);
  let outcomes;
  try {
    await load.successes(30);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    const tookMs = Date.now() - signalledAt;
    outcomes = await load.stop();
    t.same(exit, { code: 0, signal: null }, 'exit code 0');
    t.ok(tookMs < 10_000, `exited in ${tookMs} ms`);
    t.notMatch(server.output(), /shutdown failed|"level":50/, 'no error logged');
    const finished = outcomes.filter((o) => o.code && o.sentAt < signalledAt && o.doneAt >= signalledAt);
    t.ok(finished.length > 0, `${finished.length} submissions in flight at the signal were answered with their code`);
    const refused = outcomes.filter((o) => o.sentAt > signalledAt + 1_000);
    t.ok(refused.every((o) => !o.code), 'nothing is accepted once the server has stopped');
    t.same(outcomes.filter((o) => ![200, 201, 503, null].includes(o.status)).map((o) => o.status), [], 'no other answer than a receipt, 503 or a closed connection');
  } finally {
    outcomes = await load.stop();
  }

  const codes = outcomes.flatMap((o) => (o.code ? [o.code] : []));
  const database = await open();
  const counts = await reportsPerCode(database.db, TEST_SECRET, codes);
  t.same([...counts].filter(([, n]) => n !== 1), [], `each of the ${codes.length} codes shown has exactly one report`);
});
