import t from 'tap';
import { testApp } from '../support/app.js';
import { checkHeaders, checkMarkup } from '../support/page-checks.js';
import { signIn } from '../support/staff.js';
import { seedLeads } from '../support/results.js';

const ORIGINAL = '组长王某某把自己家的旧房报成危房，领了两万元补助，我是他隔壁邻居看得清清楚楚。';
const CASE = {
  title: '某村组长虚报危房骗取补助',
  summary: '经核查，某村一名村民小组长将自家不符合条件的房屋申报为危房，违规领取改造补助。镇纪委已责令退回全部资金，并给予其党内警告处分。',
};

async function auditActions(ta: Awaited<ReturnType<typeof testApp>>) {
  const rows = await ta.database.db.selectFrom('audit_log').select(['action', 'actor_id', 'report_id', 'detail']).where('action', 'like', 'case.%').orderBy('id').execute();
  return rows;
}

t.test('a typical case is public only after a second, different staff member approves it', async (t) => {
  const ta = await testApp(t);
  const [concluded, open] = await seedLeads(ta, [{ status: 'concluded', outcome: 'substantiated', description: ORIGINAL }, { status: 'verifying' }]);
  const author = await signIn(ta, 'investigator', 'inv1');
  const approver = await signIn(ta, 'admin', 'adm1');

  const notConcluded = await author.post('/staff/cases', { reportId: open!, ...CASE });
  t.equal(notConcluded.statusCode, 400);
  t.match(notConcluded.body, /id="reportId-error"[^>]*>.*只有已办结的线索/s, 'the error is next to the lead field');
  const copied = await author.post('/staff/cases', { reportId: concluded!, title: CASE.title, summary: `经核查：${ORIGINAL.slice(0, 20)}，已处理。${CASE.summary}` });
  t.equal(copied.statusCode, 400);
  t.match(copied.body, /id="summary-error"[^>]*>.*照抄了举报原文/s, 'the reporter’s own words are refused');
  t.match(copied.body, new RegExp(CASE.title), 'what was typed is kept');

  t.equal((await author.post('/staff/cases', { reportId: concluded!, ...CASE })).statusCode, 303);
  const { id } = await ta.database.db.selectFrom('typical_cases').select('id').executeTakeFirstOrThrow();
  t.notMatch((await ta.app.inject('/results')).body, new RegExp(CASE.title), 'not public while pending');

  const own = await author.post(`/staff/cases/${id}/approve`);
  t.equal(own.statusCode, 403, 'the author cannot approve their own case');
  t.match(own.body, /须由另一名工作人员审核/);
  t.notMatch((await ta.app.inject('/results')).body, new RegExp(CASE.title), 'still not public');

  t.equal((await approver.post(`/staff/cases/${id}/approve`)).statusCode, 303);
  const results = await ta.app.inject('/results');
  t.match(results.body, new RegExp(CASE.title), 'public once a second staff member approved it');
  t.match(results.body, /违反廉洁纪律行为/, 'with the lead’s category');
  t.notMatch(results.body, /王某某|隔壁邻居/, 'never the original text');

  const audit = await auditActions(ta);
  t.same(
    audit.map((a) => [a.action, a.actor_id, a.report_id]),
    [
      ['case.write', author.userId, concluded],
      ['case.approve.denied', author.userId, concluded],
      ['case.approve', approver.userId, concluded],
    ],
    'writing, the refused self-approval and the approval are all in the audit log',
  );

  // An edit goes back to pending: what is public is always what a second person approved.
  t.equal((await approver.post(`/staff/cases/${id}`, { reportId: concluded!, ...CASE, title: '修改后的标题：虚报危房' })).statusCode, 303);
  t.notMatch((await ta.app.inject('/results')).body, /修改后的标题/);
  t.equal((await approver.post(`/staff/cases/${id}/approve`)).statusCode, 403, 'the editor is now the author');
  t.equal((await author.post(`/staff/cases/${id}/approve`)).statusCode, 303);
  t.match((await ta.app.inject('/results')).body, /修改后的标题/);

  t.equal((await author.post(`/staff/cases/${id}/unpublish`)).statusCode, 303);
  t.notMatch((await ta.app.inject('/results')).body, /修改后的标题/, 'withdrawn');
  t.same((await auditActions(ta)).slice(3).map((a) => a.action), ['case.write', 'case.approve.denied', 'case.approve', 'case.unpublish']);

  const db = ta.database.db;
  await t.rejects(
    db.updateTable('typical_cases').set({ status: 'published', approved_by: author.userId, approved_at: new Date(), author_id: author.userId }).where('id', '=', id).execute(),
    'the database itself refuses a self-approved case',
  );

  const list = await author.get('/staff/cases');
  t.equal(list.statusCode, 200);
  checkHeaders(t, 'staff cases', list);
  checkMarkup(t, 'staff cases', list.body);
  t.equal((await author.get(`/staff/cases/${id}`)).statusCode, 200);
  t.equal((await author.get('/staff/cases/999999')).statusCode, 404);
});
