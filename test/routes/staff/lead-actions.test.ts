import t from 'tap';
import { addWorkingDays, chinaDate } from '../../../src/calendar/work-calendar.js';
import { calendar, testApp, VALID_REPORT, type TestApp } from '../../support/app.js';
import { signIn, type StaffAgent } from '../../support/staff.js';

async function report(ta: TestApp, fields: Record<string, unknown> = {}) {
  const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, ...fields } });
  t.equal(res.statusCode, 201);
  const row = await ta.database.db.selectFrom('reports').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  return { code: String(res.json().code), id: row.id };
}

const lead = (ta: TestApp, id: string) => ta.database.db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statusOf = async (ta: TestApp, code: string) => (await ta.app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } })).json();
const auditOf = async (ta: TestApp, id: string) =>
  (await ta.database.db.selectFrom('audit_log').select(['action', 'detail', 'actor_id']).where('report_id', '=', id).orderBy('id').execute());

async function step(agent: StaffAgent, ta: TestApp, id: string, fields: Record<string, string>) {
  const res = await agent.post(`/staff/leads/${id}/status`, { version: String((await lead(ta, id)).version), ...fields });
  t.equal(res.statusCode, 303, JSON.stringify(fields));
}

const REAL = { realName: { name: '王秀英', phone: '138 0013 8000' } };

t.test('a duplicate is merged: out of the queue, and its reporter follows the joint case by their own code', async (t) => {
  const ta = await testApp(t);
  const first = await report(ta);
  const dup = await report(ta, { description: '又一个人反映：村干部收协调费五百元。' });
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.post(`/staff/leads/${dup.id}/merge`, { version: '1', into: dup.id })).statusCode, 400, 'not into itself');
  t.equal((await inv.post(`/staff/leads/${dup.id}/merge`, { version: '1', into: '999999' })).statusCode, 400, 'not into nothing');
  t.equal((await inv.post(`/staff/leads/${dup.id}/merge`, { version: '1', into: first.id })).statusCode, 303);
  const queue = await inv.get('/staff/leads');
  t.notMatch(queue.body, `href="/staff/leads/${dup.id}"`, 'the queue counts the case once');
  t.match(queue.body, `href="/staff/leads/${first.id}"`);
  await step(inv, ta, first.id, { to: 'verifying', publicUpdate: '已受理，正在核查。' });
  const s = await statusOf(ta, dup.code);
  t.equal(s.merged, true);
  t.equal(s.status, 'verifying', "the joint case's status");
  t.same(s.updates.map((u: { body: string }) => u.body), ['已受理，正在核查。']);
  const page = await ta.app.inject({ method: 'POST', url: '/status', payload: `code=${dup.code.replace(/ /g, '')}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.match(page.body, '已与正在办理的线索合并处理');
  t.equal((await inv.post(`/staff/leads/${first.id}/merge`, { version: String((await lead(ta, first.id)).version), into: dup.id })).statusCode, 400, 'not into a merged lead');
});

t.test('identity: only an admin or the assigned investigator reveals it, with a reason, always audited', async (t) => {
  const ta = await testApp(t);
  const { id } = await report(ta, REAL);
  const admin = await signIn(ta, 'admin');
  const inv = await signIn(ta, 'investigator');
  const viewer = await signIn(ta, 'viewer');
  const clerk = await signIn(ta, 'clerk');
  const page = await admin.get(`/staff/leads/${id}`);
  t.notMatch(page.body, '王秀英', 'not shown without a reveal');
  t.equal((await viewer.post(`/staff/leads/${id}/reveal`, { reason: '想看看是谁' })).statusCode, 403);
  t.equal((await inv.post(`/staff/leads/${id}/reveal`, { reason: '需要联系核实' })).statusCode, 403, 'not assigned yet');
  t.equal((await clerk.post(`/staff/leads/${id}/reveal`, { reason: '需要联系核实' })).statusCode, 403);
  t.equal((await admin.post(`/staff/leads/${id}/reveal`, {})).statusCode, 400, 'a reason is required');
  const shown = await admin.post(`/staff/leads/${id}/reveal`, { reason: '需要电话核实身份' });
  t.equal(shown.statusCode, 200);
  t.match(shown.body, '王秀英');
  t.match(shown.body, '13800138000');
  t.equal(shown.headers['cache-control'], 'no-store');
  t.equal((await admin.post(`/staff/leads/${id}/assign`, { version: '1', assignee: inv.userId })).statusCode, 303);
  t.match((await inv.post(`/staff/leads/${id}/reveal`, { reason: '承办人联系举报人' })).body, '王秀英', 'the assignee may');
  const audit = await auditOf(ta, id);
  const actions = audit.map((a) => a.action);
  t.equal(actions.filter((a) => a === 'identity.reveal.denied').length, 2, 'viewer and unassigned investigator recorded');
  t.same(audit.filter((a) => a.action === 'identity.reveal').map((a) => a.detail.reason), ['需要电话核实身份', '承办人联系举报人']);
});

t.test('real-name feedback clock starts only once the identity is verified', async (t) => {
  const ta = await testApp(t);
  const anon = await report(ta);
  const real = await report(ta, REAL);
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.post(`/staff/leads/${anon.id}/verify`, { version: '1', how: 'phone' })).statusCode, 409, 'nothing to verify');
  t.equal((await inv.post(`/staff/leads/${real.id}/verify`, { version: '1', how: 'phone' })).statusCode, 303);
  for (const id of [anon.id, real.id]) {
    await step(inv, ta, id, { to: 'verifying' });
    await step(inv, ta, id, { to: 'investigating' });
    await step(inv, ta, id, { to: 'concluded', outcome: 'partly', publicUpdate: '经查部分属实，已整改。' });
  }
  t.equal((await lead(ta, anon.id)).due_on, null, 'no personal feedback owed for an anonymous report');
  const owed = await lead(ta, real.id);
  t.equal(owed.due_on, addWorkingDays(calendar, chinaDate(new Date()), 15));
  t.equal((await inv.post(`/staff/leads/${real.id}/feedback`, { version: String(owed.version) })).statusCode, 303);
  const done = await lead(ta, real.id);
  t.equal(done.due_on, null);
  t.ok(done.feedback_given_at);
});

t.test('a lead naming the town leadership must go up within 5 working days and leaves a tombstone', async (t) => {
  const ta = await testApp(t);
  const { id } = await report(ta, { ...REAL, subject: '镇领导', description: '听说张华让他亲戚的施工队包了全村的危房改造。' });
  const before = await lead(ta, id);
  t.equal(before.upward, true);
  t.equal(before.due_on, addWorkingDays(calendar, chinaDate(new Date()), 5));
  const admin = await signIn(ta, 'admin');
  t.match((await admin.get(`/staff/leads/${id}`)).body, '须在 5 个工作日内移交上级');
  t.equal((await admin.post(`/staff/leads/${id}/note`, { note: '内部备注：涉及张华' })).statusCode, 303);
  await step(admin, ta, id, { to: 'transferred', transferredTo: '渝北区纪委监委', publicUpdate: '已按规定移交上级纪检监察机关办理。' });
  const after = await lead(ta, id);
  t.equal(after.description, '');
  t.equal(after.subject, null);
  t.equal(after.identity_sealed, null);
  t.equal(after.real_name, false);
  t.equal(after.closing_note, '渝北区纪委监委');
  const notes = await ta.database.db.selectFrom('report_events').select('body').where('report_id', '=', id).execute();
  t.ok(notes.every((n) => n.body === null), 'internal notes scrubbed too');
  const ordinary = await report(ta);
  t.equal((await lead(ta, ordinary.id)).upward, false);
});

t.test('clearing a name is kept with an unsubstantiated conclusion, never shown to the reporter', async (t) => {
  const ta = await testApp(t);
  const { code, id } = await report(ta);
  const inv = await signIn(ta, 'investigator');
  await step(inv, ta, id, { to: 'verifying' });
  await step(inv, ta, id, { to: 'investigating' });
  await step(inv, ta, id, { to: 'concluded', outcome: 'unsubstantiated', publicUpdate: '经核查，反映问题不属实。', clearing: '在村民代表会议上为李某澄清' });
  t.equal((await lead(ta, id)).clearing_note, '在村民代表会议上为李某澄清');
  t.notMatch(JSON.stringify(await statusOf(ta, code)), '澄清');
  t.match((await inv.get(`/staff/leads/${id}`)).body, '在村民代表会议上为李某澄清');
});

t.test('a public text written at a step and again as the answer shows once in the status history', async (t) => {
  const ta = await testApp(t);
  const { id, code } = await report(ta);
  const inv = await signIn(ta, 'investigator');
  const answer = '经查属实，已责令退还违规收取的费用。';
  await step(inv, ta, id, { to: 'verifying', publicUpdate: '已受理，正在核查。' });
  await step(inv, ta, id, { to: 'investigating', publicUpdate: answer });
  await step(inv, ta, id, { to: 'concluded', outcome: 'substantiated', publicUpdate: answer });
  const s = await statusOf(ta, code);
  t.same(s.updates.map((u: { body: string }) => u.body), ['已受理，正在核查。', answer], 'each text once, in order');
  const page = await ta.app.inject({ method: 'POST', url: '/status', payload: `code=${code.replace(/ /g, '')}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(page.body.split(answer).length - 1, 1, 'the answer appears once on the status page');
});
