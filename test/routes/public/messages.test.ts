import t from 'tap';
import { formatCode } from '../../../src/lib/codes.js';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { addMailStaff, mailTexts, parseMail, testSmtp, releaseHeldNotices } from '../../support/mail.js';
import { conclude, hiddenView, lead, messageApp, messagesOf, offeredKinds, queueIds, report, sendMessage, statusPage } from '../../support/messages.js';
import { signIn } from '../../support/staff.js';

// The conversation by code, from the reporter's side: the status page shows the thread and a form
// to add information, answer a question, or (once concluded) report retaliation.

const zh = translator(loadCatalogs()['zh-CN']);
const INFO = '补充一下：收钱的是村会计，当时还有两户人家在场。';
const fullWidth = (s: string) => [...s].map((c) => (/\d/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');

t.test('a reporter adds information: staff see it and the lead goes to the top of the queue and of "mine"', async (t) => {
  const ta = await messageApp(t);
  const a = await report(ta);
  const b = await report(ta);
  const c = await report(ta);
  const inv = await signIn(ta, 'investigator');
  for (const { id } of [a, b]) t.equal((await inv.post(`/staff/leads/${id}/assign`, { version: '1', assignee: inv.userId })).statusCode, 303);
  t.same(await queueIds(inv), [c.id, b.id, a.id], 'newest first while nobody wrote');
  t.same(await queueIds(inv, '?assignee=me'), [b.id, a.id]);

  // The code typed with full-width digits and dashes finds the report; the form carries it back.
  const page = await statusPage(ta, fullWidth(formatCode(a.code).replace(/ /g, '－')));
  t.equal(page.statusCode, 200);
  t.match(hiddenView(page.body), /^[\w-]{40,}$/, 'a view token in a hidden field of a POST form');
  t.notMatch(page.body, a.code, 'never the code itself');
  t.match(page.body, '<form method="post" action="/status/messages"');
  t.same(offeredKinds(page.body), ['info'], 'adding information only: no question open, not concluded');

  const sent = await sendMessage(ta, { view: hiddenView(page.body)!, text: INFO, kind: 'info' });
  t.equal(sent.statusCode, 200);
  t.equal(sent.headers.location, undefined, 'the result page again, no redirect');
  t.match(sent.body, zh('messages.sent.info'));
  t.match(sent.body, INFO, 'the thread shows the message');
  t.ok(hiddenView(sent.body), 'and the form is there for the next message');
  t.notMatch(sent.body, a.code);
  t.match(await messagesOf(ta, a.id), [{ kind: 'info', body: INFO, staff_id: null }]);
  t.equal((await lead(ta, a.id)).attention, 1);

  t.same(await queueIds(inv), [a.id, c.id, b.id], 'on top of the queue');
  t.same(await queueIds(inv, '?assignee=me'), [a.id, b.id], 'and of the assignee\'s own');
  t.match((await inv.get('/staff/leads')).body, zh('staff.leads.attention.1'), 'with a visible marker');
  const leadPage = await inv.get(`/staff/leads/${a.id}`);
  t.match(leadPage.body, INFO, 'staff read it on the lead page');
  t.match(leadPage.body, zh('staff.lead.messages.info'));
  t.match(leadPage.body, zh('staff.lead.attention.1'));
});

t.test('staff ask a question: the reporter sees it awaiting an answer, and answers it', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const inv = await signIn(ta, 'investigator', 'wang.jianguo');
  t.equal((await sendMessage(ta, { code, text: INFO })).statusCode, 200, 'the kind defaults to information');
  const question = '请问是哪一户？当时交钱有收据吗？';
  t.equal((await inv.post(`/staff/leads/${id}/question`, { version: String((await lead(ta, id)).version), question })).statusCode, 303);
  t.equal((await lead(ta, id)).attention, 0, 'asking counts as handling what the reporter wrote');

  const page = await statusPage(ta, code);
  t.match(page.body, question);
  t.match(page.body, zh('messages.awaiting'), 'marked as awaiting the answer');
  t.same(offeredKinds(page.body), ['answer', 'info'], 'answering is offered first');
  t.match(page.body, /value="answer" checked/);
  t.ok(page.body.indexOf(INFO) < page.body.indexOf(question), 'in order: the information, then the question');
  t.notMatch(page.body, 'wang.jianguo', 'never a staff name');

  const answer = '是村东头李家，交了五百元，没有收据。';
  const answered = await sendMessage(ta, { code, text: answer, kind: 'answer' });
  t.equal(answered.statusCode, 200);
  t.match(answered.body, zh('messages.sent.answer'));
  t.notMatch(answered.body, zh('messages.awaiting'), 'no longer awaiting');
  t.same(offeredKinds(answered.body), ['info']);
  const thread = await messagesOf(ta, id);
  t.same(thread.map((m) => m.kind), ['info', 'question', 'answer']);
  t.ok(thread[1]!.answered_at, 'the question is answered');
  t.equal((await lead(ta, id)).attention, 1);
  const bodies = [INFO, question, answer].map((b) => answered.body.indexOf(b));
  t.same([...bodies].sort((x, y) => x - y), bodies, 'the thread in order, both sides');
  t.notMatch(answered.body, 'wang.jianguo');
  t.match((await inv.get(`/staff/leads/${id}`)).body, 'wang.jianguo', 'staff do see who asked');

  const again = await sendMessage(ta, { code, text: '再回答一次，这里没有问题了。', kind: 'answer' });
  t.equal(again.statusCode, 400, 'no open question to answer');
  t.match(again.body, 'id="kind-error"');
  t.match(again.body, zh('errors.message.noQuestion'));
  t.match(again.body, '再回答一次，这里没有问题了。', 'the typed text is kept');
  t.equal((await messagesOf(ta, id)).length, 3);
});

t.test('retaliation: offered only after conclusion, sets attention 2 and high priority, tops the queue', async (t) => {
  const ta = await messageApp(t);
  const a = await report(ta);
  const b = await report(ta);
  const other = await report(ta);
  const inv = await signIn(ta, 'investigator');
  const text = '办结以后，村会计说我告状，把我家明年的补助名额取消了。';

  t.notOk(offeredKinds((await statusPage(ta, b.code)).body).includes('retaliation'), 'not offered while open');
  const early = await sendMessage(ta, { code: b.code, text, kind: 'retaliation' });
  t.equal(early.statusCode, 400);
  t.match(early.body, zh('errors.message.tooEarly'));
  t.match(early.body, text, 'the typed text is kept');
  t.equal((await messagesOf(ta, b.id)).length, 0, 'nothing stored');

  await conclude(inv, ta, b.id);
  await sendMessage(ta, { code: a.code, text: INFO });
  const page = await statusPage(ta, b.code);
  t.same(offeredKinds(page.body), ['info', 'retaliation']);
  t.match(page.body, zh('messages.kinds.retaliation.label'));
  t.match(page.body, /value="info" checked/, 'never preselected');
  const sent = await sendMessage(ta, { code: b.code, text, kind: 'retaliation' });
  t.equal(sent.statusCode, 200);
  t.match(sent.body, zh('messages.sent.retaliation'));
  t.match(sent.body, zh('messages.from.retaliation'));
  t.match(await lead(ta, b.id), { attention: 2, priority: 1, status: 'concluded' });

  t.same(await queueIds(inv), [b.id, a.id, other.id], 'above a lead whose reporter merely wrote');
  const queue = (await inv.get('/staff/leads')).body;
  t.match(queue, zh('staff.leads.attention.2'));
  t.match(queue, zh('staff.leads.attention.1'));
  t.match((await inv.get(`/staff/leads/${b.id}`)).body, zh('staff.lead.attention.2'));
  await sendMessage(ta, { code: b.code, text: INFO });
  t.equal((await lead(ta, b.id)).attention, 2, 'a later message does not lower it');
});

t.test('the follow-up notice reaches the assignee over SMTP and says nothing about the lead', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await messageApp(t, smtp.env);
  const assignee = await addMailStaff(ta.database.db, 'li.inv', 'investigator');
  await addMailStaff(ta.database.db, 'zhao.inv', 'investigator');
  const admin = await signIn(ta, 'admin');
  const { code, id } = await report(ta);
  t.equal((await admin.post(`/staff/leads/${id}/assign`, { version: '1', assignee: assignee.id })).statusCode, 303);
  await releaseHeldNotices(ta.database.db);
  await ta.app.mailer.drain();
  smtp.received.length = 0; // the new-lead notices, out of the way

  await sendMessage(ta, { code, text: INFO });
  await releaseHeldNotices(ta.database.db);
  t.same(await ta.app.mailer.drain(), { sent: 1, failed: 0, gaveUp: 0 });
  t.equal(smtp.received.length, 1);
  t.same(smtp.received[0]!.to, [assignee.email], 'to the assignee only');
  t.equal((await parseMail(smtp.received[0]!)).subject, `${zh('mail.follow_up.subject')} | ${translator(loadCatalogs().en)('mail.follow_up.subject')}`);
  const texts = await mailTexts(smtp.received[0]!);
  const needles = [INFO, '村会计', code, formatCode(code), code.replace(/(\d{4})(?=\d)/g, '$1-')];
  for (const n of needles) t.notOk(texts.some((x) => x.text.includes(n)), `no ${JSON.stringify(n)} in the mail`);
});

t.test("a merged duplicate's reporter: the message is theirs, the attention and notice the joint lead's", async (t) => {
  const ta = await messageApp(t);
  const first = await report(ta);
  const dup = await report(ta, { description: '又一个人反映：村干部收协调费五百元。' });
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.post(`/staff/leads/${dup.id}/merge`, { version: '1', into: first.id })).statusCode, 303);
  t.equal((await inv.post(`/staff/leads/${first.id}/assign`, { version: '1', assignee: inv.userId })).statusCode, 303);
  const question = '第一位举报人：您交钱时还有谁在场？';
  t.equal((await inv.post(`/staff/leads/${first.id}/question`, { version: String((await lead(ta, first.id)).version), question })).statusCode, 303);

  const page = await statusPage(ta, dup.code);
  t.notMatch(page.body, question, "another reporter's question is not shown");
  t.same(offeredKinds(page.body), ['info']);
  const sent = await sendMessage(ta, { code: dup.code, text: INFO });
  t.equal(sent.statusCode, 200);
  t.match(sent.body, zh('status.merged'));
  t.equal((await messagesOf(ta, dup.id)).length, 1, 'stored on their own report');
  t.equal((await messagesOf(ta, first.id)).length, 1, 'the joint lead holds only its question');
  t.equal((await lead(ta, first.id)).attention, 1, 'the joint lead comes back to the top');
  t.equal((await lead(ta, dup.id)).attention, 0);
  const notice = await ta.database.db.selectFrom('mail_outbox').select('recipient_id').where('kind', '=', 'follow_up').execute();
  t.same(notice, [{ recipient_id: inv.userId }], "a notice to the joint lead's assignee");
  t.same(await queueIds(inv), [first.id]);

  const leadPage = (await inv.get(`/staff/leads/${first.id}`)).body;
  t.match(leadPage, INFO, "the duplicate's message on the joint lead's page");
  t.match(leadPage, zh('staff.lead.fromDuplicate', { id: dup.id }));
  t.notMatch((await statusPage(ta, first.code)).body, INFO, "and not on the other reporter's status page");
});
