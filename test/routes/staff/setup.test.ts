import t from 'tap';
import { sql } from 'kysely';
import { issueSetupLink, SETUP_LINK_TTL_MS } from '../../../src/staff/setup.js';
import { FORM, formBody, testApp, type TestApp } from '../../support/app.js';
import { addStaff, loginForm, STAFF_PASSWORD } from '../../support/staff.js';

// Issue 15: the first admin without stopping the server. The one-time link works once, for 24 h,
// from a loopback client only; the password follows the staff CLI's rules.

const REMOTE = '203.0.113.9';
const GOOD = { username: 'chen', email: 'chen@example.org', password: STAFF_PASSWORD, password2: STAFF_PASSWORD };

const get = (ta: TestApp, url: string, opts: { remoteAddress?: string; headers?: Record<string, string> } = {}) => ta.app.inject({ url, ...opts });
const post = (ta: TestApp, url: string, fields: Record<string, string>, remoteAddress = '127.0.0.1') =>
  ta.app.inject({ method: 'POST', url, headers: FORM, payload: formBody(fields), remoteAddress });

t.test('the link creates the first admin once, from this machine only', async (t) => {
  const ta = await testApp(t, { env: { TRUST_PROXY: 'true' } });
  const token = await issueSetupLink(ta.database.db);
  t.match(token, /^[\w-]{43}$/, 'a random token');
  const url = `/staff/setup/${token}`;
  const stored = await ta.database.db.selectFrom('setup_links').selectAll().execute();
  t.equal(stored.length, 1);
  t.notOk(stored[0]!.token_hash.toString('utf8').includes(token!) || stored[0]!.token_hash.toString('base64url') === token, 'only a hash is stored');

  t.equal((await get(ta, url, { remoteAddress: REMOTE })).statusCode, 404, 'refused from another machine');
  t.equal((await get(ta, url, { remoteAddress: REMOTE, headers: { 'x-forwarded-for': '127.0.0.1' } })).statusCode, 404, 'a forwarded-for header does not make a client local');
  for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
    const res = await get(ta, url, { headers: { [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' } });
    t.equal(res.statusCode, 404, `through a proxy on this machine (${header}): not local`);
  }
  t.equal((await post(ta, url, GOOD, REMOTE)).statusCode, 404, 'nor can another machine post the form');
  t.equal((await get(ta, '/staff/setup/not-a-token')).statusCode, 404, 'an unknown link');

  const page = await get(ta, url);
  t.equal(page.statusCode, 200, 'opens from loopback');
  t.match(page.body, `action="${url}"`);
  t.equal(page.headers['referrer-policy'], 'no-referrer', 'the token does not leak through a Referer');

  const weak = await post(ta, url, { ...GOOD, password: 'short', password2: 'short' });
  t.equal(weak.statusCode, 400, 'the CLI’s password rules');
  t.match(weak.body, '密码：');
  const mismatch = await post(ta, url, { ...GOOD, password2: 'another long passphrase' });
  t.equal(mismatch.statusCode, 400, 'the two passwords must agree');
  t.equal((await post(ta, url, { ...GOOD, username: 'A B' })).statusCode, 400, 'the CLI’s username rules');
  t.equal((await ta.database.db.selectFrom('staff_users').select('id').execute()).length, 0, 'nothing created yet');

  const done = await post(ta, url, GOOD);
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, '/staff/login?setup=1');
  const users = await ta.database.db.selectFrom('staff_users').select(['username', 'role', 'email']).execute();
  t.same(users, [{ username: 'chen', role: 'admin', email: 'chen@example.org' }], 'one admin');
  const form = await loginForm(ta);
  const login = await ta.app.inject({ method: 'POST', url: '/staff/login', headers: { ...FORM, cookie: form.cookie }, payload: formBody({ _csrf: form.csrf, username: 'chen', password: STAFF_PASSWORD }) });
  t.equal(login.statusCode, 303, 'who signs in');

  t.equal((await get(ta, url)).statusCode, 404, 'the second time: refused');
  t.equal((await post(ta, url, { ...GOOD, username: 'mallory' })).statusCode, 404, 'and cannot make another admin');
  t.equal(await issueSetupLink(ta.database.db), null, 'no new link once an account exists');
  const audit = await ta.database.db.selectFrom('audit_log').select('action').execute();
  t.ok(audit.some((a) => a.action === 'user.create'), 'the account is audited');
});

t.test('a link expires after 24 hours, and dies when an account is made another way', async (t) => {
  const ta = await testApp(t);
  const old = await issueSetupLink(ta.database.db, new Date(Date.now() - SETUP_LINK_TTL_MS - 1000));
  t.equal((await get(ta, `/staff/setup/${old}`)).statusCode, 404, 'expired');
  const fresh = await issueSetupLink(ta.database.db);
  t.equal((await get(ta, `/staff/setup/${fresh}`)).statusCode, 200);
  await addStaff(ta, 'li', 'admin');
  t.equal((await get(ta, `/staff/setup/${fresh}`)).statusCode, 404, 'an account made with the CLI closes the link');
  t.equal(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM staff_users`.execute(ta.database.db)).rows[0]!.n), 1);
});
