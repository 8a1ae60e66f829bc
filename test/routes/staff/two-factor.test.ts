import t from 'tap';
import { allStoredValues, findNeedles, FORM, formBody, testApp, type TestApp } from '../../support/app.js';
import { signIn } from '../../support/staff.js';
import {
  agentFor,
  awayFromStepEdge,
  codeAt,
  codeStep,
  currentStep,
  decodeQrSvg,
  enrol,
  passwordStep,
  secretOf,
  sidOf,
  wrongCode,
} from '../../support/totp.js';

const audit = async (ta: TestApp) =>
  ta.database.db.selectFrom('audit_log').select(['action', 'actor_id', 'target_user_id', 'detail']).orderBy('id').execute();

const totpRow = (ta: TestApp, userId: string) =>
  ta.database.db.selectFrom('staff_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();

t.test('enrolment: a QR code and a typed key for the same secret, enabled only by a current code', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator', 'dong');
  const page = await inv.get('/staff/2fa');
  t.equal(page.statusCode, 200);
  const secret = secretOf(page.body);
  t.match(secret, /^[A-Z2-7]{32}$/, '160-bit secret in base32, shown for typing in');

  // The SVG is embedded in the page as markup (no data: URL, no CSP change) and holds nothing but
  // its fixed shape; decoded like a camera would, it carries the otpauth:// URI.
  const svg = /<svg[\s\S]*?<\/svg>/.exec(page.body)?.[0] ?? '';
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+" shape-rendering="crispEdges"><path fill="#ffffff" d="[^"]+"\/><path stroke="#000000" d="[Mmh0-9. ]+"\/><\/svg>$/);
  t.notMatch(page.body, /data:image|<img|<script>/, 'no data: URL, no image, no inline script');
  const uri = new URL(decodeQrSvg(svg)!);
  t.equal(uri.protocol, 'otpauth:');
  t.equal(uri.host, 'totp');
  t.equal(decodeURIComponent(uri.pathname), `/${ta.app.campaign.authority['zh-CN']}:dong`, 'label: issuer and username');
  t.equal(uri.searchParams.get('secret'), secret);
  t.equal(uri.searchParams.get('issuer'), ta.app.campaign.authority['zh-CN']);
  t.equal(uri.searchParams.get('digits'), '6');
  t.equal(uri.searchParams.get('period'), '30');

  t.equal(secretOf((await inv.get('/staff/2fa')).body), secret, 'a reload shows the same secret (one already scanned stays good)');
  const stored = await totpRow(ta, inv.userId);
  t.equal(stored?.enabled, false, 'not enabled before a code confirms it');
  t.same(findNeedles(await allStoredValues(ta.database.db), [secret]), [], 'the secret is stored only sealed');

  const wrong = await inv.post('/staff/2fa', { code: wrongCode(secret) });
  t.equal(wrong.statusCode, 400);
  t.match(wrong.body, '验证码不正确或已使用过');
  const format = await inv.post('/staff/2fa', { code: '12ab' });
  t.equal(format.statusCode, 400);
  t.match(format.body, '请输入 6 位数字验证码');
  t.equal((await totpRow(ta, inv.userId))?.enabled, false);

  await awayFromStepEdge();
  const step = currentStep();
  const ok = await inv.post('/staff/2fa', { code: codeAt(secret, step).replace(/^(\d{3})/, '$1 ') });
  t.equal(ok.statusCode, 303, 'a current code (spaces allowed) enables it');
  const enabled = await totpRow(ta, inv.userId);
  t.equal(enabled?.enabled, true);
  t.equal(enabled?.last_step, String(step), 'the code used to confirm is spent');
  const after = await inv.get('/staff/2fa');
  t.match(after.body, '两步验证已启用');
  t.notMatch(after.body, /totp-secret|<svg/, 'an enabled secret is never shown again');
  t.same(
    (await audit(ta)).map((r) => r.action).filter((a) => a.startsWith('totp.')),
    ['totp.start', 'totp.enable.failure', 'totp.enable'],
  );
});

t.test('login: after the password, a code; the pending session opens nothing else', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin', 'gao');
  const secret = await enrol(admin);
  t.equal((await admin.post('/staff/logout')).statusCode, 303);

  const pending = await passwordStep(ta, 'gao', '/staff/users');
  t.equal(pending.res.headers.location, '/staff/login/code?next=%2Fstaff%2Fusers');
  t.equal(pending.page.statusCode, 200);
  t.match(pending.page.body, 'autocomplete="one-time-code"');
  t.notMatch(pending.page.body, 'href="/staff/leads"', 'no staff links while the code is awaited');
  for (const url of ['/staff', '/staff/leads', '/staff/users', '/staff/audit', '/staff/2fa']) {
    const res = await ta.app.inject({ url, headers: { cookie: pending.cookie } });
    t.equal(res.statusCode, 303, `GET ${url}`);
    t.equal(res.headers.location, '/staff/login/code');
  }
  const sneak = await ta.app.inject({
    method: 'POST', url: '/staff/users', headers: { ...FORM, cookie: pending.cookie },
    payload: formBody({ _csrf: pending.csrf, username: 'sneak', role: 'admin', password: 'a long sneaky passphrase' }),
  });
  t.equal(sneak.statusCode, 303, 'POST elsewhere is turned back before its handler');
  t.notOk(await ta.database.db.selectFrom('staff_users').select('id').where('username', '=', 'sneak').executeTakeFirst());

  const wrong = await codeStep(ta, pending, wrongCode(secret), '/staff/users');
  t.equal(wrong.statusCode, 401);
  t.match(wrong.body, '验证码不正确或已使用过');
  t.match(wrong.body, 'name="next" value="/staff/users"');

  await awayFromStepEdge();
  const ok = await codeStep(ta, pending, codeAt(secret, currentStep() + 1), '/staff/users');
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/staff/users', 'then on to the page asked for');
  const full = sidOf(ok)!;
  t.not(full, pending.cookie, 'a new session id once the code is right');
  t.match(String(ok.headers['set-cookie']), /HttpOnly/);
  t.equal((await ta.app.inject({ url: '/staff/users', headers: { cookie: full } })).statusCode, 200);
  t.match((await ta.app.inject({ url: '/staff/users', headers: { cookie: pending.cookie } })).headers.location, /^\/staff\/login/, 'the pending id is dead');
  t.equal((await ta.app.inject({ url: '/staff/login/code', headers: { cookie: full } })).headers.location, '/staff', 'a full session has no code form');

  const actions = (await audit(ta)).map((r) => `${r.action}${r.detail.reason ? `:${r.detail.reason}` : ''}${r.detail.mfa ? ':mfa' : ''}`);
  t.same(actions.slice(-3), ['login.password', 'login.failure:code', 'login.success:mfa']);
});

t.test('a used code is refused; ±1 step of drift is accepted, ±2 refused', async (t) => {
  const ta = await testApp(t);
  const agent = await signIn(ta, 'viewer', 'fang');
  const secret = await enrol(agent);
  const enrolStep = currentStep();
  await agent.post('/staff/logout');

  const reused = await codeStep(ta, await passwordStep(ta, 'fang'), codeAt(secret, enrolStep));
  t.equal(reused.statusCode, 401, 'the code that confirmed enrolment cannot sign in');

  // As if enrolment were a while ago, so that the steps around now are all unused.
  await awayFromStepEdge();
  const step = currentStep();
  await ta.database.db.updateTable('staff_totp').set({ last_step: String(step - 10) }).execute();
  const pending = await passwordStep(ta, 'fang');
  t.equal((await codeStep(ta, pending, codeAt(secret, step - 2))).statusCode, 401, '2 steps behind: refused');
  t.equal((await codeStep(ta, pending, codeAt(secret, step + 2))).statusCode, 401, '2 steps ahead: refused');
  const behind = await codeStep(ta, pending, codeAt(secret, step - 1));
  t.equal(behind.statusCode, 303, '1 step behind: accepted');
  await (await agentFor(ta, sidOf(behind)!, agent.userId)).post('/staff/logout');

  const ahead = await codeStep(ta, await passwordStep(ta, 'fang'), codeAt(secret, step + 1));
  t.equal(ahead.statusCode, 303, '1 step ahead: accepted');
  const again = await passwordStep(ta, 'fang');
  t.equal((await codeStep(ta, again, codeAt(secret, step + 1))).statusCode, 401, 'the same code again: refused');
  t.equal((await codeStep(ta, again, codeAt(secret, step))).statusCode, 401, 'an earlier step than one used: refused');
  const reasons = (await audit(ta)).filter((r) => r.action === 'login.failure').map((r) => r.detail.reason);
  t.same(reasons, ['code-reused', 'code', 'code', 'code-reused', 'code-reused']);
});

t.test('wrong codes count toward the lockout, and a right password does not clear them', async (t) => {
  const ta = await testApp(t, { env: { LOGIN_MAX_FAILURES: '3' } });
  const agent = await signIn(ta, 'clerk', 'hu');
  const secret = await enrol(agent);
  await agent.post('/staff/logout');
  let pending = await passwordStep(ta, 'hu');
  t.equal((await codeStep(ta, pending, wrongCode(secret))).statusCode, 401);
  t.equal((await codeStep(ta, pending, wrongCode(secret))).statusCode, 401);
  pending = await passwordStep(ta, 'hu');
  const third = await codeStep(ta, pending, wrongCode(secret));
  t.equal(third.statusCode, 303, 'the third failure locks the account and ends the pending session');
  t.equal(third.headers.location, '/staff/login');
  const user = await ta.database.db.selectFrom('staff_users').select(['failed_logins', 'locked_until']).where('id', '=', agent.userId).executeTakeFirstOrThrow();
  t.equal(user.failed_logins, 3);
  t.ok(user.locked_until && user.locked_until > new Date());
  t.match((await ta.app.inject({ url: '/staff/login/code', headers: { cookie: pending.cookie } })).headers.location, /^\/staff\/login/);
});

t.test('a pending session lasts five minutes at most', async (t) => {
  const ta = await testApp(t);
  const agent = await signIn(ta, 'investigator', 'jin');
  const secret = await enrol(agent);
  await agent.post('/staff/logout');
  const pending = await passwordStep(ta, 'jin');
  await ta.database.db.updateTable('staff_sessions').set({ created_at: new Date(Date.now() - 6 * 60_000) }).where('mfa_pending', '=', true).execute();
  const res = await codeStep(ta, pending, codeAt(secret, currentStep()));
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/staff\/login/);
});

t.test('mandatory 2FA confines anyone not enrolled to enrolment and logout', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin', 'kong');
  t.match((await admin.get('/staff/users')).body, '目前两步验证由每人自愿启用');
  t.equal((await admin.post('/staff/settings/2fa', { required: 'on' })).statusCode, 303);
  t.equal((await ta.database.db.selectFrom('security_settings').select('mfa_required').executeTakeFirstOrThrow()).mfa_required, true);
  t.equal((await admin.get('/staff/users')).headers.location, '/staff/2fa', 'the admin too, until enrolled');

  const viewer = await signIn(ta, 'viewer', 'lu');
  for (const url of ['/staff', '/staff/leads', '/staff/leads/1', '/staff/audit']) {
    const res = await viewer.get(url);
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, '/staff/2fa');
  }
  t.equal((await viewer.post('/staff/leads/1/note', { note: 'x' })).headers.location, '/staff/2fa');
  const page = await viewer.get('/staff/2fa');
  t.equal(page.statusCode, 200);
  t.match(page.body, '管理员已要求所有人启用两步验证');
  t.notMatch(page.body, 'href="/staff/leads"', 'no other links meanwhile');
  t.match(page.body, 'action="/staff/logout"', 'but logout is there');

  await enrol(viewer);
  t.equal((await viewer.get('/staff/leads')).statusCode, 200, 'enrolled: the session is a full one at once');

  const other = await signIn(ta, 'investigator', 'ma');
  t.equal((await other.post('/staff/logout')).statusCode, 303, 'logout works while confined');
  t.match((await other.get('/staff/2fa')).headers.location, /^\/staff\/login/);

  await enrol(admin);
  t.equal((await admin.post('/staff/settings/2fa', { required: 'off' })).statusCode, 303);
  const settings = (await audit(ta)).filter((r) => r.action === 'settings.mfa');
  t.same(settings.map((r) => [r.actor_id, r.detail]), [[admin.userId, { required: true }], [admin.userId, { required: false }]]);
});

t.test('an admin resets a user\'s 2FA: their sessions end and they sign in with the password alone', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin', 'niu');
  const user = await signIn(ta, 'investigator', 'ou');
  await enrol(user);
  const users = await admin.get('/staff/users');
  t.match(users.body, `action="/staff/users/${user.userId}/2fa/reset"`);
  t.match(users.body, '已启用两步验证');
  t.equal((await admin.post(`/staff/users/${user.userId}/2fa/reset`)).statusCode, 303);
  t.notOk(await totpRow(ta, user.userId));
  t.match((await user.get('/staff/leads')).headers.location, /^\/staff\/login/, 'their session ended');
  const pending = await passwordStep(ta, 'ou');
  t.equal(pending.res.headers.location, '/staff', 'no code asked any more');
  t.equal((await admin.post('/staff/users/999999/2fa/reset')).statusCode, 404);
  const reset = (await audit(ta)).filter((r) => r.action === 'totp.reset');
  t.same(reset.map((r) => [r.actor_id, r.target_user_id]), [[admin.userId, user.userId]]);
});

t.test('only admins change the 2FA policy or reset anyone\'s 2FA', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  for (const role of ['investigator', 'clerk', 'viewer'] as const) {
    const agent = await signIn(ta, role);
    t.equal((await agent.post('/staff/settings/2fa', { required: 'on' })).statusCode, 403, `${role}: policy`);
    t.equal((await agent.post(`/staff/users/${admin.userId}/2fa/reset`)).statusCode, 403, `${role}: reset`);
    t.equal((await agent.get('/staff/2fa')).statusCode, 200, `${role}: may set up their own`);
  }
  t.equal((await admin.post('/staff/settings/2fa', { required: 'maybe' })).statusCode, 400);
  t.equal((await ta.database.db.selectFrom('security_settings').select('mfa_required').executeTakeFirstOrThrow()).mfa_required, false);
  t.notOk((await audit(ta)).some((r) => r.action === 'settings.mfa' || r.action === 'totp.reset'));
});

t.test('every 2FA form needs the CSRF token', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin', 'qian');
  const user = await signIn(ta, 'viewer', 'ren');
  const secret = await enrol(user);
  const adminSecret = secretOf((await admin.get('/staff/2fa')).body);
  const bare = (cookie: string, url: string, fields: Record<string, string>) =>
    ta.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: formBody(fields) });
  const forged = (cookie: string, url: string, fields: Record<string, string>) => bare(cookie, url, { _csrf: 'x'.repeat(32), ...fields });
  for (const send of [bare, forged]) {
    t.equal((await send(admin.cookie, '/staff/2fa', { code: codeAt(adminSecret, currentStep()) })).statusCode, 403, 'enrolment');
    t.equal((await send(admin.cookie, '/staff/settings/2fa', { required: 'on' })).statusCode, 403, 'policy');
    t.equal((await send(admin.cookie, `/staff/users/${user.userId}/2fa/reset`, {})).statusCode, 403, 'reset');
  }
  await user.post('/staff/logout');
  const pending = await passwordStep(ta, 'ren');
  await awayFromStepEdge();
  const code = codeAt(secret, currentStep() + 1);
  t.equal((await bare(pending.cookie, '/staff/login/code', { code })).statusCode, 403, 'login code without a token');
  t.equal((await forged(pending.cookie, '/staff/login/code', { code })).statusCode, 403, 'login code with a wrong token');
  t.equal((await codeStep(ta, pending, code)).statusCode, 303, 'the same code with the token: accepted (it was never spent)');
  t.equal((await totpRow(ta, admin.userId))?.enabled, false);
  t.ok(await totpRow(ta, user.userId));
  t.equal((await ta.database.db.selectFrom('security_settings').select('mfa_required').executeTakeFirstOrThrow()).mfa_required, false);
});
