import t from 'tap';
import { generateCode, hashCode } from '../../../src/lib/codes.js';
import { reportKeys } from '../../../src/reports/service.js';
import { FORM, formBody, TEST_SECRET, testApp, VALID_REPORT, type TestApp } from '../../support/app.js';
import { signIn } from '../../support/staff.js';

/** A report through the public API; returns its code and id. */
async function report(ta: TestApp, fields: Record<string, unknown> = {}) {
  const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, ...fields } });
  const { code } = res.json();
  const row = await ta.database.db.selectFrom('reports').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  return { code: String(code), id: row.id };
}

const statusOf = async (ta: TestApp, code: string) =>
  (await ta.app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } })).json();

const version = async (ta: TestApp, id: string) =>
  (await ta.database.db.selectFrom('reports').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version;

t.test('web reports land in the queue with their acceptance deadline; filters narrow it', async (t) => {
  const ta = await testApp(t);
  const a = await report(ta, { category: 'funds', village: 'gulu', description: '补助资金被挪去修村委会的路了，一分没发到户。' });
  const b = await report(ta, { category: 'integrity', description: '收了跑腿费三百元，不给就不办手续。' });
  const lead = await ta.database.db.selectFrom('reports').select(['due_on', 'channel']).where('id', '=', a.id).executeTakeFirstOrThrow();
  t.match(lead.due_on, /^\d{4}-\d{2}-\d{2}$/);
  t.equal(lead.channel, 'web');
  const inv = await signIn(ta, 'investigator');
  const all = await inv.get('/staff/leads');
  t.equal(all.statusCode, 200);
  t.match(all.body, `/staff/leads/${a.id}`);
  t.match(all.body, `/staff/leads/${b.id}`);
  const funds = await inv.get('/staff/leads?category=funds');
  t.match(funds.body, `/staff/leads/${a.id}"`);
  t.notMatch(funds.body, `/staff/leads/${b.id}"`);
  const search = await inv.get(`/staff/leads?q=${encodeURIComponent('跑腿费')}`);
  t.match(search.body, `/staff/leads/${b.id}"`);
  t.notMatch(search.body, `/staff/leads/${a.id}"`, 'Chinese substring search');
  const village = await inv.get('/staff/leads?village=gulu');
  t.notMatch(village.body, `/staff/leads/${b.id}"`);
  const none = await inv.get('/staff/leads?overdue=1');
  t.match(none.body, '没有符合条件的线索', 'nothing overdue yet');
  await ta.database.db.updateTable('reports').set({ due_on: '2020-01-01' }).where('id', '=', b.id).execute();
  const overdue = await inv.get('/staff/leads?overdue=1');
  t.match(overdue.body, `/staff/leads/${b.id}"`);
  t.match(overdue.body, '已超期');
  const soon = await inv.get('/staff/leads?soon=1');
  t.match(soon.body, `/staff/leads/${b.id}"`, 'due soon includes overdue');
  t.notMatch(soon.body, `/staff/leads/${a.id}"`, 'a lead due in 15 working days is not due soon');
});

t.test('keyset pagination walks every lead once: a waiting reporter first, then most urgent', async (t) => {
  const ta = await testApp(t);
  const keys = reportKeys(TEST_SECRET);
  const rows = Array.from({ length: 130 }, (_, i) => ({
    code_hash: hashCode(keys.code, generateCode()),
    category: 'duty' as const,
    description: `第${i}条测试线索，内容足够长。`,
    due_on: i % 3 === 0 ? null : `2027-01-${String((i % 28) + 1).padStart(2, '0')}`,
    attention: i % 17 === 0 ? 2 : i % 11 === 0 ? 1 : 0,
  }));
  await ta.database.db.insertInto('reports').values(rows).execute();
  const agent = await signIn(ta, 'viewer');
  const seen: string[] = [];
  let url: string | null = '/staff/leads';
  let pages = 0;
  while (url && pages < 10) {
    const res = await agent.get(url);
    seen.push(...[...res.body.matchAll(/href="\/staff\/leads\/(\d+)"/g)].map((m) => m[1]!));
    const body = res.body.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    url = /href="(\/staff\/leads\?[^"]*after=[^"]+)"/.exec(body)?.[1] ?? null;
    pages++;
  }
  t.equal(pages, 3);
  t.equal(seen.length, 130);
  t.equal(new Set(seen).size, 130, 'no lead twice');
  const dues = await ta.database.db.selectFrom('reports').select(['id', 'due_on', 'attention']).execute();
  const keyOf = new Map(dues.map((d) => [d.id, `${2 - d.attention} ${d.due_on ?? '9999'}`]));
  const order = seen.map((id) => keyOf.get(id)!);
  t.same(order, [...order].sort(), 'retaliation, then a reporter who wrote, then by due date, leads without one last');
  t.equal(order[0]!.slice(0, 1), '0', 'a retaliation report is on top');
});

t.test('the workflow: accept, investigate, conclude; the reporter sees each public update', async (t) => {
  const ta = await testApp(t);
  const { code, id } = await report(ta);
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.post(`/staff/leads/${id}/status`, { version: '1', to: 'verifying', publicUpdate: '已受理，正在核查。', note: '内部：先联系村会计' })).statusCode, 303);
  let s = await statusOf(ta, code);
  t.equal(s.status, 'verifying');
  t.same(s.updates.map((u: { body: string }) => u.body), ['已受理，正在核查。']);
  t.notMatch(JSON.stringify(s), '内部', 'internal notes never reach the reporter');
  t.notMatch(JSON.stringify(s), 'investigator1', 'nor staff names');

  const stale = await inv.post(`/staff/leads/${id}/status`, { version: '1', to: 'investigating' });
  t.equal(stale.statusCode, 409, 'a stale form gets 409');
  const illegal = await inv.post(`/staff/leads/${id}/status`, { version: String(await version(ta, id)), to: 'received' });
  t.equal(illegal.statusCode, 409, 'an illegal transition gets 409');

  t.equal((await inv.post(`/staff/leads/${id}/status`, { version: String(await version(ta, id)), to: 'investigating' })).statusCode, 303);
  const noUpdate = await inv.post(`/staff/leads/${id}/status`, { version: String(await version(ta, id)), to: 'concluded', outcome: 'substantiated' });
  t.equal(noUpdate.statusCode, 400);
  t.match(noUpdate.body, '办结时必须给举报人写答复');
  t.equal(
    (await inv.post(`/staff/leads/${id}/status`, { version: String(await version(ta, id)), to: 'concluded', outcome: 'substantiated', publicUpdate: '经查属实，已责令退还所收费用。' })).statusCode,
    303,
  );
  s = await statusOf(ta, code);
  t.equal(s.status, 'concluded');
  t.equal(s.updates.length, 2);
  const lead = await ta.database.db.selectFrom('reports').select(['outcome', 'due_on']).where('id', '=', id).executeTakeFirstOrThrow();
  t.same(lead, { outcome: 'substantiated', due_on: null });
  const page = await inv.get(`/staff/leads/${id}`);
  t.match(page.body, '内部：先联系村会计', 'the timeline shows the note to staff');
  const audit = (await ta.database.db.selectFrom('audit_log').select('action').where('report_id', '=', id).execute()).map((r) => r.action);
  t.same(audit.filter((a) => a === 'lead.status').length, 3);
  t.ok(audit.includes('lead.view'), 'viewing a lead is audited');
});

t.test('refusal and transfer need their reason and recipient', async (t) => {
  const ta = await testApp(t);
  const a = await report(ta);
  const inv = await signIn(ta, 'admin');
  const r = await inv.post(`/staff/leads/${a.id}/status`, { version: '1', to: 'not_accepted' });
  t.equal(r.statusCode, 400);
  t.match(r.body, '请填写不予受理的理由');
  t.equal((await inv.post(`/staff/leads/${a.id}/status`, { version: '1', to: 'transferred', transferredTo: '区纪委监委' })).statusCode, 303);
  const lead = await ta.database.db.selectFrom('reports').select(['status', 'closing_note']).where('id', '=', a.id).executeTakeFirstOrThrow();
  t.same(lead, { status: 'transferred', closing_note: '区纪委监委' });
});

t.test('assignment, priority and notes; roles decide who may do what', async (t) => {
  const ta = await testApp(t);
  const { id } = await report(ta);
  const admin = await signIn(ta, 'admin');
  const inv = await signIn(ta, 'investigator');
  t.equal((await admin.post(`/staff/leads/${id}/assign`, { version: '1', assignee: inv.userId })).statusCode, 303);
  t.equal((await admin.post(`/staff/leads/${id}/priority`, { version: '2', priority: '1' })).statusCode, 303);
  t.equal((await inv.post(`/staff/leads/${id}/note`, { note: '已电话联系' })).statusCode, 303);
  const mine = await inv.get('/staff/leads?assignee=me');
  t.match(mine.body, `/staff/leads/${id}"`);
  const lead = await ta.database.db.selectFrom('reports').select(['assignee_id', 'priority']).where('id', '=', id).executeTakeFirstOrThrow();
  t.same(lead, { assignee_id: inv.userId, priority: 1 });

  const viewer = await signIn(ta, 'viewer');
  t.equal((await viewer.get(`/staff/leads/${id}`)).statusCode, 200, 'viewer reads');
  t.equal((await viewer.post(`/staff/leads/${id}/note`, { note: 'x' })).statusCode, 403, 'viewer cannot write');
  t.equal((await viewer.post(`/staff/leads/${id}/status`, { version: '3', to: 'verifying' })).statusCode, 403);
  const clerk = await signIn(ta, 'clerk');
  t.equal((await clerk.get('/staff/leads')).statusCode, 403, 'clerks do not see the queue');
  t.equal((await clerk.get(`/staff/leads/${id}`)).statusCode, 403);
  t.equal((await admin.get('/staff/leads/999999')).statusCode, 404);
  t.equal((await admin.get('/staff/leads/abc')).statusCode, 404);
  const noCsrf = await ta.app.inject({ method: 'POST', url: `/staff/leads/${id}/note`, headers: { ...FORM, cookie: admin.cookie }, payload: formBody({ note: 'x' }) });
  t.equal(noCsrf.statusCode, 403);
});

t.test('text typed by reporters is escaped in staff views', async (t) => {
  const ta = await testApp(t);
  const { id } = await report(ta, { description: '<script>alert(1)</script>" onmouseover="x', subject: '<img src=x onerror=alert(1)>' });
  const admin = await signIn(ta, 'admin');
  const page = await admin.get(`/staff/leads/${id}`);
  t.notMatch(page.body, '<script>alert(1)</script>');
  t.notMatch(page.body, '<img src=x');
  t.match(page.body, '&lt;script&gt;');
  const queue = await admin.get('/staff/leads');
  t.notMatch(queue.body, '<script>alert');
});

t.test('related leads: same village and category, the same person named, or text written alike', async (t) => {
  const ta = await testApp(t);
  const lead = await report(ta, {
    category: 'funds', village: 'gulu', subject: '王某某',
    description: '村会计以协调费名义收取危房改造补助户五百元，不交就不给申报。',
  });
  const place = await report(ta, { category: 'funds', village: 'gulu', description: '补助资金被挪去修路，一分没发到户。' });
  const person = await report(ta, { category: 'duty', village: 'caoping', subject: '王某某', description: '他家的旧房被报成危房领了补助。' });
  const text = await report(ta, { category: 'integrity', village: 'wuniu', description: '村会计以协调费名义收取危房改造补助户三百元，不交就不给申报。' });
  const other = await report(ta, { category: 'policy', village: 'xindian', description: '评定危房等级时没有入户查看，全凭村干部一句话。' });
  const admin = await signIn(ta, 'admin');
  const page = (await admin.get(`/staff/leads/${lead.id}`)).body;
  const related = page.slice(page.indexOf('id="related-title"'));
  t.match(related, new RegExp(`#${place.id}</a> · 同村同类`));
  t.match(related, new RegExp(`#${person.id}</a> · 涉及同一人`));
  t.match(related, new RegExp(`#${text.id}</a> · 内容相似`), 'a report written alike, in another village and category');
  t.notMatch(related, `#${other.id}</a>`, 'an unrelated report is not listed');
});
