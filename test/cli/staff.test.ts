import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { verifyPassword } from '../../src/staff/passwords.js';
import { connectDatabase } from '../../src/db/connect.js';
import { serverUrl, testDatabase, TEST_SECRET } from '../support/app.js';

// The real command, as an operator runs it: `npm run staff -- …` with the password on stdin. Eleven
// runs, each compiling the CLI with tsx: on a slow or busy machine that is minutes, not seconds.
t.setTimeout(600_000);
t.test('npm run staff: add, list, disable, enable, reset-password', { timeout: 540_000 }, async (t) => {
  let env: Record<string, string>;
  let open: () => Promise<Awaited<ReturnType<typeof connectDatabase>>>;
  if (serverUrl()) {
    const database = await testDatabase(t);
    env = { DATABASE_URL: database.url!, APP_SECRET: TEST_SECRET };
    open = async () => database;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'staff-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    env = { DATA_DIR: dir };
    // The CLI holds the folder's lock while it runs; open it only between commands.
    open = () => connectDatabase({ kind: 'pglite', dataDir: join(dir, 'pgdata') });
  }
  const run = (args: string[], stdin = '') =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/staff.ts', ...args],
        { env: { ...process.env, ...env, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }, timeout: 60_000 },
        (err, out, errOut) => resolve({ code: err ? Number(err.code ?? 1) : 0, out, err: errOut }),
      );
      child.stdin!.end(stdin);
    });

  const added = await run(['add', 'Zhang.Wei', '--role', 'investigator', '--email', 'zw@example.org'], 'a sentence as a password\n');
  t.equal(added.code, 0, added.err);
  t.match(added.out, 'Created zhang.wei (investigator)');
  const weak = await run(['add', 'li', '--role', 'clerk'], 'qwerty123456\n');
  t.equal(weak.code, 1);
  t.match(weak.err, 'most common');
  const badRole = await run(['add', 'li', '--role', 'boss'], 'a sentence as a password\n');
  t.match(badRole.err, 'admin, investigator, clerk or viewer');
  t.equal((await run(['disable', 'zhang.wei'])).code, 0);
  t.match((await run(['list'])).out, /zhang\.wei\tinvestigator\tdisabled\tzw@example\.org/);
  t.equal((await run(['enable', 'zhang.wei'])).code, 0);
  t.equal((await run(['reset-password', 'zhang.wei'], 'another sentence for it\n')).code, 0);
  t.match((await run(['reset-2fa', 'zhang.wei'])).out, 'Two-factor login of zhang.wei reset');
  t.match((await run(['disable', 'nobody'])).err, 'no staff account named nobody');
  t.match((await run(['frobnicate', 'x'])).err, 'usage:');

  const database = await open();
  const user = await database.db.selectFrom('staff_users').selectAll().executeTakeFirstOrThrow();
  t.equal(user.disabled, false);
  t.ok(await verifyPassword(user.password_hash, 'another sentence for it'));
  const actions = (await database.db.selectFrom('audit_log').select('action').orderBy('id').execute()).map((r) => r.action);
  t.same(actions, ['user.create', 'user.disable', 'user.enable', 'user.password', 'totp.reset']);
  if (!serverUrl()) await database.close();
});
