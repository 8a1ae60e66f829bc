import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { serverUrl, testDatabase, TEST_SECRET } from '../support/app.js';
import { STAFF_PASSWORD } from '../support/staff.js';
import { sleep, startServer } from '../support/processes.js';

// Issue 15: the real server, started with no staff account, prints one line with a one-time
// set-up link; the link creates the first admin from this machine while the server keeps running,
// and is refused the second time. (Refusal from another machine: test/routes/staff/setup.test.ts.)

t.setTimeout(240_000);

t.test('first start: the printed link makes the first admin once, without a restart', { timeout: 200_000 }, async (t) => {
  let env: Record<string, string>;
  if (serverUrl()) {
    const database = await testDatabase(t);
    env = { DATABASE_URL: database.url!, APP_SECRET: TEST_SECRET };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'setup-link-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    env = { DATA_DIR: dir, APP_SECRET: TEST_SECRET };
  }
  const server = await startServer(t, { ...env, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
  let line: string | undefined;
  for (let i = 0; i < 100 && !line; i++) {
    line = server.output().split('\n').find((l) => l.includes('/staff/setup/'));
    if (!line) await sleep(100);
  }
  t.ok(line, 'the server printed a set-up link');
  t.equal(server.output().split('\n').filter((l) => l.includes('/staff/setup/')).length, 1, 'on one line');
  const link = /(http:\/\/127\.0\.0\.1:\d+\/staff\/setup\/[\w-]{43})/.exec(line ?? '')?.[1];
  t.ok(link?.startsWith(server.url), `a loopback address of this server: ${link?.replace(/[\w-]{43}$/, '…')}`);

  t.equal((await fetch(link!)).status, 200, 'the link opens from loopback');
  const body = new URLSearchParams({ username: 'chen', password: STAFF_PASSWORD, password2: STAFF_PASSWORD });
  const created = await fetch(link!, { method: 'POST', body, redirect: 'manual' });
  t.equal(created.status, 303, 'the first admin is created');
  t.equal((await fetch(link!)).status, 404, 'the second time the link is refused');
  t.equal((await fetch(link!, { method: 'POST', body, redirect: 'manual' })).status, 404);

  const login = await fetch(`${server.url}/staff/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
  const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
  const signedIn = await fetch(`${server.url}/staff/login`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username: 'chen', password: STAFF_PASSWORD }),
    redirect: 'manual',
  });
  t.equal(signedIn.status, 303, 'the admin signs in, the server never stopped');
  t.equal(server.child.exitCode, null);
});
