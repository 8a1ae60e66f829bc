import t from 'tap';
import { recordAudit } from '../../../src/audit/service.js';
import { codeFrom, FORM, formBody, testApp, tokenFrom, VALID_REPORT, type TestApp } from '../../support/app.js';
import { loginForm, signIn } from '../../support/staff.js';

/** The <tbody> rows of an audit page. */
const rowsOf = (html: string) => /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1]?.match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
/** The numbers the fixtures put in each row's detail ({ n }). */
const numbersOf = (html: string) => [...html.matchAll(/<li>n: <bdi>(\d+)<\/bdi><\/li>/g)].map((m) => Number(m[1]));
const nextOf = (html: string) => /href="(\/staff\/audit\?[^"]*after[^"]*)">/.exec(html)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');

const count = async (ta: TestApp) => Number((await ta.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

t.test('only admins browse the audit log, and only they see the link', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const page = await admin.get('/staff/audit');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'href="/staff/audit"', 'nav link for admins');
  for (const role of ['investigator', 'clerk', 'viewer'] as const) {
    const agent = await signIn(ta, role);
    t.equal((await agent.get('/staff/audit')).statusCode, 403, `${role}: 403`);
    t.equal((await agent.get('/staff/audit?action=login.success')).statusCode, 403, `${role}: 403 with filters too`);
    const home = await agent.get(role === 'clerk' ? '/staff' : '/staff/leads');
    t.notMatch(home.body, 'href="/staff/audit"', `${role}: no link`);
  }
  t.match((await ta.app.inject('/staff/audit')).headers.location, /^\/staff\/login\?next=/, 'no session: to login');
});

t.test('filters: action, actor, lead, date range; each view is itself recorded', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin', 'boss');
  const alice = await signIn(ta, 'investigator', 'alice');
  const bob = await signIn(ta, 'investigator', 'bob');
  const db = ta.database.db;
  await recordAudit(db, { actorId: alice.userId, action: 'lead.view', reportId: '7' });
  await recordAudit(db, { actorId: bob.userId, action: 'lead.note', reportId: '8' });
  await recordAudit(db, { actorId: bob.userId, action: 'lead.view', reportId: '7' });
  await recordAudit(db, { actorId: admin.userId, action: 'user.disable', targetUserId: bob.userId });
  await recordAudit(db, { actorId: null, actorName: 'mallory', action: 'login.failure', detail: { reason: 'unknown' } });
  // 23:30 in China on 1 March 2026 is 15:30 UTC the same day.
  await db.insertInto('audit_log').values({ at: new Date('2026-03-01T15:30:00Z'), actor_id: alice.userId, action: 'lead.status', report_id: '9', detail: '{"n":1}' }).execute();
  await db.insertInto('audit_log').values({ at: new Date('2026-03-01T16:30:00Z'), actor_id: alice.userId, action: 'lead.status', report_id: '9', detail: '{"n":2}' }).execute();

  const views = await admin.get('/staff/audit?action=lead.view');
  t.equal(rowsOf(views.body).length, 2);
  t.ok(rowsOf(views.body).every((r) => r.includes('查看线索')));
  t.match(views.body, /<option value="lead.view" selected>/, 'the filter stays selected');

  const byAlice = await admin.get('/staff/audit?actor=Alice');
  t.ok(rowsOf(byAlice.body).length >= 4, 'her login, her view, her two status changes');
  t.ok(rowsOf(byAlice.body).every((r) => r.includes('<bdi>alice</bdi>')), 'only rows by alice');

  const typed = await admin.get('/staff/audit?actor=mallory');
  t.equal(rowsOf(typed.body).length, 1, 'a name typed at a failed login is found too');
  t.match(rowsOf(typed.body)[0], '（无此账号）');

  const lead7 = await admin.get('/staff/audit?lead=7');
  t.equal(rowsOf(lead7.body).length, 2);
  t.match(lead7.body, 'href="/staff/leads/7"');
  const bobOn7 = await admin.get('/staff/audit?lead=7&actor=bob&action=lead.view');
  t.equal(rowsOf(bobOn7.body).length, 1, 'filters combine');

  const target = await admin.get('/staff/audit?action=user.disable');
  t.match(rowsOf(target.body)[0], /<td><bdi>bob<\/bdi><\/td>\s*<\/tr>/, 'the account concerned');

  t.same(numbersOf((await admin.get('/staff/audit?from=2026-03-01&to=2026-03-01')).body), [1], 'a day is a day in China');
  t.same(numbersOf((await admin.get('/staff/audit?from=2026-03-02&to=2026-03-02')).body), [2]);
  t.same(numbersOf((await admin.get('/staff/audit?from=2026-02-01&to=2026-03-31')).body), [2, 1], 'newest first');

  const bad = await admin.get('/staff/audit?lead=abc&from=2026-13-45');
  t.equal(bad.statusCode, 400);
  t.match(bad.body, '线索编号只能是数字');
  t.match(bad.body, 'value="abc"', 'what was typed stays');
  t.equal(rowsOf(bad.body).length, 0);
  t.equal((await admin.get('/staff/audit?action=no.such')).statusCode, 400);

  const recorded = await db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'audit.view').orderBy('id').execute();
  t.equal(recorded.length, 9, 'every successful view, none of the refused ones');
  t.ok(recorded.every((r) => r.actor_id === admin.userId));
  t.same(recorded[4]!.detail, { actor: 'bob', action: 'lead.view', lead: '7' }, 'with the filters used');
});

t.test('keyset pagination walks every row exactly once, newest first', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const db = ta.database.db;
  // 70 rows one by one (distinct times, many within the same millisecond), then 60 in one
  // transaction (one shared time): page boundaries fall inside both kinds.
  for (let n = 0; n < 70; n++) await recordAudit(db, { actorId: admin.userId, action: 'lead.view', reportId: String(n + 1), detail: { n } });
  await db.transaction().execute(async (trx) => {
    for (let n = 70; n < 130; n++) await recordAudit(trx, { actorId: admin.userId, action: 'lead.view', reportId: String(n + 1), detail: { n } });
  });

  const seen: number[] = [];
  let url: string | undefined = '/staff/audit?action=lead.view';
  let pages = 0;
  while (url) {
    const page = await admin.get(url);
    t.equal(page.statusCode, 200);
    t.ok(rowsOf(page.body).length <= 50);
    seen.push(...numbersOf(page.body));
    url = nextOf(page.body);
    if (url) t.match(url, /^\/staff\/audit\?action=lead\.view&after=\d+_\d+$/, 'the filter is kept and the cursor is a position, not an offset');
    if (++pages > 5) break;
  }
  t.equal(pages, 3);
  t.same(seen, Array.from({ length: 130 }, (_, i) => 129 - i), 'all 130, once each, newest first');

  // Unfiltered: every row present when the walk began, once — the views recorded meanwhile are
  // newer than the first page and never push rows across a page boundary.
  const before = await count(ta);
  let total = 0;
  url = '/staff/audit';
  for (let i = 0; url && i < 10; i++) {
    const page = await admin.get(url);
    total += rowsOf(page.body).length;
    url = nextOf(page.body);
  }
  t.equal(total, before);
  t.ok((await count(ta)) > before, 'while the walk itself was recorded');
});

t.test('stored text is shown escaped; no code or report text ever appears', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const form = await loginForm(ta);
  await ta.app.inject({
    method: 'POST', url: '/staff/login', headers: { ...FORM, cookie: form.cookie },
    payload: formBody({ _csrf: form.csrf, username: '<script>alert(1)</script>', password: 'whatever it is here' }),
  });
  await recordAudit(ta.database.db, {
    actorId: admin.userId, action: 'identity.reveal', reportId: '1',
    detail: { reason: '"><img src=x onerror=alert(2)> \u202Egnp.exe' },
  });
  const report = await ta.app.inject('/report');
  const submitted = await ta.app.inject({
    method: 'POST', url: '/report', headers: { ...FORM, cookie: String(report.headers['set-cookie'] ?? '').split(';')[0] },
    payload: formBody({ ...VALID_REPORT, token: tokenFrom(report.body) }),
  });
  const code = codeFrom(submitted.body);
  const lead = await ta.database.db.selectFrom('reports').select('id').executeTakeFirstOrThrow();
  t.equal((await admin.get(`/staff/leads/${lead.id}`)).statusCode, 200);

  const page = await admin.get('/staff/audit');
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, '<script>alert(1)</script>');
  t.match(page.body, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.notMatch(page.body, '<img src=x');
  t.match(page.body, '&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;');
  t.match(page.body, /<bdi>[^<]*\u202Egnp\.exe<\/bdi>/, 'a bidi override stays inside its own <bdi>');
  t.match(page.body, `href="/staff/leads/${lead.id}"`, 'the lead view is listed with its link');
  t.notMatch(page.body, code, 'no tracking code');
  t.notMatch(page.body, code.replace(/(\d{4})(?=\d)/g, '$1 '), 'not even grouped');
  t.notMatch(page.body, VALID_REPORT.description.slice(0, 12), 'no report text');
});
