import t from 'tap';
import { FORM, formBody, testApp } from '../../support/app.js';
import { addStaff, loginForm, signIn, STAFF_PASSWORD } from '../../support/staff.js';

const auditActions = async (db: Awaited<ReturnType<typeof testApp>>['database']['db']) =>
  (await db.selectFrom('audit_log').select('action').orderBy('id').execute()).map((r) => r.action);

t.test('every staff page needs a session: back to login, then to the page asked for', async (t) => {
  const ta = await testApp(t);
  for (const url of ['/staff', '/staff/users']) {
    const res = await ta.app.inject(url);
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, `/staff/login?next=${encodeURIComponent(url)}`);
  }
  await addStaff(ta, 'alice', 'admin');
  const form = await loginForm(ta);
  const res = await ta.app.inject({
    method: 'POST', url: '/staff/login', headers: { ...FORM, cookie: form.cookie },
    payload: formBody({ _csrf: form.csrf, username: 'Alice', password: STAFF_PASSWORD, next: '/staff/users' }),
  });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/staff/users');
  const cookie = String(res.headers['set-cookie']);
  t.match(cookie, /sid=[\w-]{43}/);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Strict/);
  t.notMatch(cookie, /Secure/, 'not Secure over http');
});

t.test('next never leads off the staff area', async (t) => {
  const ta = await testApp(t);
  for (const next of ['https://evil.example', '//evil.example', '/staff/../report', '/\\evil']) {
    const page = await ta.app.inject(`/staff/login?next=${encodeURIComponent(next)}`);
    t.match(page.body, 'name="next" value="/staff"', next);
  }
});

t.test('wrong password, unknown user, missing CSRF: one generic answer, all audited', async (t) => {
  const ta = await testApp(t);
  await addStaff(ta, 'bob', 'investigator');
  const form = await loginForm(ta);
  const attempt = (fields: Record<string, string>, cookie = form.cookie) =>
    ta.app.inject({ method: 'POST', url: '/staff/login', headers: { ...FORM, cookie }, payload: formBody(fields) });
  const wrong = await attempt({ _csrf: form.csrf, username: 'bob', password: 'not the password at all' });
  const unknown = await attempt({ _csrf: form.csrf, username: 'nobody', password: STAFF_PASSWORD });
  const noCsrf = await attempt({ username: 'bob', password: STAFF_PASSWORD });
  for (const res of [wrong, unknown, noCsrf]) {
    t.equal(res.statusCode, 401);
    t.match(res.body, '用户名或密码不正确');
    t.notMatch(String(res.headers['set-cookie']), /sid=/);
  }
  t.same(await auditActions(ta.database.db), ['user.create', 'login.failure', 'login.failure']);
});

t.test('repeated failures lock the account; an admin unlocks it', async (t) => {
  const ta = await testApp(t, { env: { LOGIN_MAX_FAILURES: '3' } });
  await addStaff(ta, 'carol', 'clerk');
  const form = await loginForm(ta);
  const attempt = (password: string) =>
    ta.app.inject({
      method: 'POST', url: '/staff/login', headers: { ...FORM, cookie: form.cookie },
      payload: formBody({ _csrf: form.csrf, username: 'carol', password }),
    });
  for (let i = 0; i < 3; i++) t.equal((await attempt('wrong wrong wrong')).statusCode, 401);
  t.equal((await attempt(STAFF_PASSWORD)).statusCode, 401, 'locked: even the right password is refused');
  const admin = await signIn(ta, 'admin');
  const carol = await ta.database.db.selectFrom('staff_users').select('id').where('username', '=', 'carol').executeTakeFirstOrThrow();
  t.equal((await admin.post(`/staff/users/${carol.id}/unlock`)).statusCode, 303);
  t.equal((await attempt(STAFF_PASSWORD)).statusCode, 303, 'unlocked');
});

t.test('POST without the session CSRF token is refused with 403', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const res = await ta.app.inject({
    method: 'POST', url: '/staff/users', headers: { ...FORM, cookie: admin.cookie },
    payload: formBody({ username: 'mallory', role: 'admin', password: STAFF_PASSWORD }),
  });
  t.equal(res.statusCode, 403);
  const wrong = await ta.app.inject({
    method: 'POST', url: '/staff/users', headers: { ...FORM, cookie: admin.cookie },
    payload: formBody({ _csrf: 'x'.repeat(32), username: 'mallory', role: 'admin', password: STAFF_PASSWORD }),
  });
  t.equal(wrong.statusCode, 403);
  t.equal((await ta.database.db.selectFrom('staff_users').select('id').execute()).length, 1);
});

t.test('disabling a user ends their sessions at once; logout ends the session', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const dave = await signIn(ta, 'investigator', 'dave');
  t.equal((await dave.get('/staff/leads')).statusCode, 200);
  t.equal((await admin.post(`/staff/users/${dave.userId}/disable`)).statusCode, 303);
  t.match((await dave.get('/staff/leads')).headers.location, /^\/staff\/login/, 'disabled: back to login');
  t.equal((await admin.post('/staff/logout')).statusCode, 303);
  t.match((await admin.get('/staff/users')).headers.location, /^\/staff\/login/, 'logged out');
  const actions = await auditActions(ta.database.db);
  t.ok(actions.includes('user.disable') && actions.includes('logout'));
});

t.test('idle and absolute timeouts', async (t) => {
  // Every page view checks the database here (the timeouts are changed behind the app's back).
  const ta = await testApp(t, { env: { SESSION_RECHECK_SECONDS: '0' } });
  const agent = await signIn(ta, 'viewer');
  await ta.database.db.updateTable('staff_sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).execute();
  t.match((await agent.get('/staff/leads')).headers.location, /^\/staff\/login/, 'idle for 31 minutes');
  const again = await signIn(ta, 'viewer', 'viewer2');
  await ta.database.db
    .updateTable('staff_sessions')
    .set({ created_at: new Date(Date.now() - 13 * 3_600_000), last_seen_at: new Date() })
    .execute();
  t.match((await again.get('/staff/leads')).headers.location, /^\/staff\/login/, 'older than 12 hours');
});

t.test('a page view may rely on a session checked seconds ago; a change never does', async (t) => {
  const ta = await testApp(t, { env: { SESSION_RECHECK_SECONDS: '1' } });
  const viewer = await signIn(ta, 'viewer');
  t.equal((await viewer.get('/staff/leads')).statusCode, 200);
  // Disabled behind this instance's back, as `npm run staff -- disable` or another instance does.
  await ta.database.db.updateTable('staff_users').set({ disabled: true }).where('id', '=', viewer.userId).execute();
  t.equal((await viewer.get('/staff/leads')).statusCode, 200, 'within the recheck window the page is still shown');
  t.equal((await viewer.post('/staff/logout')).statusCode, 303);
  t.match((await viewer.get('/staff/leads')).headers.location, /^\/staff\/login/, 'after a change, the database is asked again');

  const other = await signIn(ta, 'viewer', 'viewer2');
  t.equal((await other.get('/staff/leads')).statusCode, 200);
  await ta.database.db.updateTable('staff_users').set({ disabled: true }).where('id', '=', other.userId).execute();
  await new Promise((r) => setTimeout(r, 1_100));
  t.match((await other.get('/staff/leads')).headers.location, /^\/staff\/login/, 'after the window, the database is asked again');
});

t.test('only admins manage accounts', async (t) => {
  const ta = await testApp(t);
  for (const role of ['investigator', 'clerk', 'viewer'] as const) {
    const agent = await signIn(ta, role);
    t.equal((await agent.get('/staff/users')).statusCode, 403, `${role} GET`);
    t.equal((await agent.post('/staff/users', { username: 'x1', role: 'admin', password: STAFF_PASSWORD })).statusCode, 403, `${role} POST`);
  }
});

t.test('admins create accounts with validated fields and passwords', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const bad = await admin.post('/staff/users', { username: 'eve', role: 'investigator', password: 'qwerty123456' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, '这是常见密码');
  t.match(bad.body, 'value="eve"', 'typed values kept');
  const short = await admin.post('/staff/users', { username: 'eve', role: 'investigator', password: 'short' });
  t.match(short.body, '密码至少 12 个字符');
  const badName = await admin.post('/staff/users', { username: '<b>', role: 'boss', password: STAFF_PASSWORD });
  t.match(badName.body, 'id="username-error"');
  t.match(badName.body, 'id="role-error"');
  t.notMatch(badName.body, '<b>', 'escaped');
  const ok = await admin.post('/staff/users', { username: 'eve', role: 'investigator', email: 'eve@example.org', password: 'a different long passphrase' });
  t.equal(ok.statusCode, 200);
  const eve = await ta.database.db.selectFrom('staff_users').selectAll().where('username', '=', 'eve').executeTakeFirstOrThrow();
  t.match(eve.password_hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/, 'argon2id with its parameters stored');
  const dup = await admin.post('/staff/users', { username: 'eve', role: 'viewer', password: STAFF_PASSWORD });
  t.match(dup.body, '该用户名已存在');
});
