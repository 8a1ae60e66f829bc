import t from 'tap';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { FORM, formBody } from '../../support/app.js';
import { lead, messageApp, messagesOf, report, sendMessage, statusPage, step } from '../../support/messages.js';
import { signIn } from '../../support/staff.js';

// The conversation by code, staff side: asking the reporter, marking their messages handled.

const zh = translator(loadCatalogs()['zh-CN']);
const INFO = '补充一下：收钱的是村会计，当时还有两户人家在场。';
const QUESTION = '请问交钱时有没有收据？';

const auditOf = async (ta: Awaited<ReturnType<typeof messageApp>>, id: string) =>
  (await ta.database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('report_id', '=', id).orderBy('id').execute())
    .filter((a) => a.action !== 'lead.view');

t.test('viewers and clerks cannot ask or mark handled; every form needs its CSRF token', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  await sendMessage(ta, { code, text: INFO });
  const viewer = await signIn(ta, 'viewer');
  const clerk = await signIn(ta, 'clerk');
  const inv = await signIn(ta, 'investigator');
  for (const agent of [viewer, clerk]) {
    t.equal((await agent.post(`/staff/leads/${id}/question`, { version: '2', question: QUESTION })).statusCode, 403);
    t.equal((await agent.post(`/staff/leads/${id}/handled`, { version: '2' })).statusCode, 403);
  }
  const page = (await viewer.get(`/staff/leads/${id}`)).body;
  t.match(page, INFO, 'a viewer reads the thread');
  t.match(page, zh('staff.lead.attention.1'));
  t.notMatch(page, 'action="/staff/leads/' + id + '/question"', 'without the forms');
  t.notMatch(page, 'action="/staff/leads/' + id + '/handled"');

  for (const path of ['question', 'handled']) {
    const res = await ta.app.inject({
      method: 'POST', url: `/staff/leads/${id}/${path}`, headers: { ...FORM, cookie: inv.cookie },
      payload: formBody({ version: '2', question: QUESTION }),
    });
    t.equal(res.statusCode, 403, `${path}: no CSRF token, no change`);
  }
  t.equal((await messagesOf(ta, id)).length, 1);
  t.match(await lead(ta, id), { attention: 1, version: 2 });
  t.same(await auditOf(ta, id), []);
  t.notMatch((await statusPage(ta, code)).body, QUESTION);
});

t.test('an investigator asks a question and marks messages handled, on the record', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const inv = await signIn(ta, 'investigator', 'wang.jianguo');
  const page = (await inv.get(`/staff/leads/${id}`)).body;
  t.match(page, `action="/staff/leads/${id}/question"`);
  t.notMatch(page, `action="/staff/leads/${id}/handled"`, 'nothing to mark handled yet');

  const empty = await inv.post(`/staff/leads/${id}/question`, { version: '1', question: '  ' });
  t.equal(empty.statusCode, 400);
  t.match(empty.body, /<p class="field-error" id="question-error">/);
  const long = '问'.repeat(2001);
  const tooLong = await inv.post(`/staff/leads/${id}/question`, { version: '1', question: long });
  t.equal(tooLong.statusCode, 400);
  t.match(tooLong.body, `>${long}</textarea>`, 'the typed question is kept');
  t.equal((await messagesOf(ta, id)).length, 0);

  t.equal((await inv.post(`/staff/leads/${id}/question`, { version: '1', question: QUESTION })).statusCode, 303);
  t.match(await messagesOf(ta, id), [{ kind: 'question', body: QUESTION, staff_id: inv.userId, answered_at: null }]);
  const timeline = (await inv.get(`/staff/leads/${id}`)).body;
  t.match(timeline, QUESTION);
  t.match(timeline, zh('staff.lead.awaiting'));

  await sendMessage(ta, { code, text: '有收据，是村会计写的白条，我拍了照片。', kind: 'answer' });
  const answered = await lead(ta, id);
  t.equal(answered.attention, 1);
  t.equal((await inv.post(`/staff/leads/${id}/handled`, { version: String(answered.version - 1) })).statusCode, 409, 'a page from before the answer cannot clear it');
  t.equal((await inv.post(`/staff/leads/${id}/handled`, { version: String(answered.version) })).statusCode, 303);
  t.equal((await lead(ta, id)).attention, 0);
  t.equal((await inv.post(`/staff/leads/${id}/handled`, { version: String((await lead(ta, id)).version) })).statusCode, 409, 'nothing left to handle');
  const events = await ta.database.db.selectFrom('report_events').select(['kind', 'actor_id']).where('report_id', '=', id).execute();
  t.same(events, [{ kind: 'handled', actor_id: inv.userId }]);
  t.match((await inv.get(`/staff/leads/${id}`)).body, zh('staff.events.handled'));
  t.same((await auditOf(ta, id)).map((a) => a.action), ['lead.question', 'lead.handled']);
  t.ok((await auditOf(ta, id)).every((a) => a.actor_id === inv.userId));
});

t.test('a question from a page older than the reporter\'s message leaves the lead flagged', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const admin = await signIn(ta, 'admin');
  const shown = (await lead(ta, id)).version;
  await sendMessage(ta, { code, text: INFO });
  t.equal((await admin.post(`/staff/leads/${id}/question`, { version: String(shown), question: QUESTION })).statusCode, 303, 'the question is sent');
  t.equal((await lead(ta, id)).attention, 1, 'but the message nobody has seen still counts');
  t.equal((await messagesOf(ta, id)).length, 2);
});

t.test('no question to a transferred lead, whose reporter can no longer answer here', async (t) => {
  const ta = await messageApp(t);
  const { id } = await report(ta);
  const inv = await signIn(ta, 'investigator');
  await step(inv, ta, id, { to: 'transferred', transferredTo: '区住建委', publicUpdate: '已移交区住建委办理。' });
  t.notMatch((await inv.get(`/staff/leads/${id}`)).body, `action="/staff/leads/${id}/question"`);
  t.equal((await inv.post(`/staff/leads/${id}/question`, { version: String((await lead(ta, id)).version), question: QUESTION })).statusCode, 409);
  t.equal((await messagesOf(ta, id)).length, 0);
});
