import t from 'tap';
import { generateCode } from '../../../src/lib/codes.js';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { FORM, formBody, HOTLINE } from '../../support/app.js';
import { hiddenView, lead, messageApp, messagesOf, report, sendMessage, statusPage, step } from '../../support/messages.js';
import { signIn } from '../../support/staff.js';

// The status page's message form when something is wrong: an unknown or mistyped code, text the
// report form would refuse too, a lead transferred elsewhere.

const zh = translator(loadCatalogs()['zh-CN']);
const INFO = '补充一下：收钱的是村会计，当时还有两户人家在场。';

t.test('a wrong code: 404 with the plain not-found page, counted as a failed lookup', async (t) => {
  const ta = await messageApp(t, { RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '2' });
  const { code, id } = await report(ta);
  for (let i = 0; i < 2; i++) {
    const res = await sendMessage(ta, { code: generateCode(), text: INFO });
    t.equal(res.statusCode, 404);
    t.match(res.body, zh('status.notFound'));
    t.match(res.body, HOTLINE);
    t.notMatch(res.body, INFO, 'nothing said about the message');
  }
  const malformed = await sendMessage(ta, { code: `${code.slice(0, 19)}${(Number(code[19]) + 1) % 10}`, text: INFO });
  t.equal(malformed.statusCode, 400, 'a mistyped code is told apart, as on the lookup form');
  t.match(malformed.body, zh('errors.code.checkDigit'));
  t.equal((await sendMessage(ta, { code: generateCode(), text: INFO })).statusCode, 429, 'the third unknown code in the hour is refused');
  t.equal((await sendMessage(ta, { code, text: INFO })).statusCode, 429, 'and then even a right code, on either form');
  t.equal((await statusPage(ta, code)).statusCode, 429);
  t.equal((await messagesOf(ta, id)).length, 0);
});

t.test('invalid text: 400 with the error next to the field and the typed text kept', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const cases = [
    { text: '太短了', message: zh('errors.text.tooShort', { min: 10, length: 3 }), kept: '太短了' },
    { text: '   ', message: zh('errors.required'), kept: '' },
    { text: '字'.repeat(5001), message: zh('errors.text.tooLong', { max: 5000, length: 5001 }), kept: '字'.repeat(5001) },
    { text: `村会计\u200b收了五百元协调费\u202e，没有收据`, message: zh('errors.text.invisible'), kept: '村会计收了五百元协调费，没有收据' },
  ];
  for (const c of cases) {
    const res = await sendMessage(ta, { code, text: c.text });
    t.equal(res.statusCode, 400, c.message);
    t.match(res.body, /<p class="field-error" id="text-error">/);
    t.match(res.body, c.message);
    t.match(res.body, /<textarea id="text" name="text"[^>]*aria-invalid="true">/);
    t.match(res.body, `aria-invalid="true">${c.kept}</textarea>`, 'the text as typed (invisible characters removed)');
    t.match(res.body, '<a href="#text">', 'the summary links to the field');
    t.ok(hiddenView(res.body), 'the form is still there');
    t.notMatch(res.body, code, 'without the code');
  }
  t.equal((await messagesOf(ta, id)).length, 0);
  t.equal((await lead(ta, id)).attention, 0);
  const unknownKind = await sendMessage(ta, { code, text: INFO, kind: 'complaint' });
  t.equal(unknownKind.statusCode, 400);
  t.match(unknownKind.body, zh('errors.message.kind'));
});

t.test('a transferred lead takes no messages; an upward one keeps none', async (t) => {
  const ta = await messageApp(t);
  const admin = await signIn(ta, 'admin');
  const ordinary = await report(ta);
  await step(admin, ta, ordinary.id, { to: 'transferred', transferredTo: '区住建委', publicUpdate: '已移交区住建委办理。' });
  const page = await statusPage(ta, ordinary.code);
  t.notMatch(page.body, 'action="/status/messages"', 'no form');
  t.match(page.body, zh('messages.closed'));
  const refused = await sendMessage(ta, { code: ordinary.code, text: INFO });
  t.equal(refused.statusCode, 409);
  t.match(refused.body, zh('messages.closed'));
  t.equal((await messagesOf(ta, ordinary.id)).length, 0);

  const upward = await report(ta, { subject: '镇领导', description: '听说张华让他亲戚的施工队包了全村的危房改造。' });
  await sendMessage(ta, { code: upward.code, text: '张华的亲戚姓刘，施工队叫顺发建筑。' });
  await admin.post(`/staff/leads/${upward.id}/question`, { version: String((await lead(ta, upward.id)).version), question: '您还知道些什么？' });
  t.equal((await messagesOf(ta, upward.id)).length, 2);
  await step(admin, ta, upward.id, { to: 'transferred', transferredTo: '渝北区纪委监委', publicUpdate: '已按规定移交上级纪检监察机关办理。' });
  t.same(await messagesOf(ta, upward.id), [], 'the conversation goes with the tombstone');
  t.notMatch((await admin.get(`/staff/leads/${upward.id}`)).body, '顺发建筑');
});

t.test('the message form works with the code only in the body, whatever the page language', async (t) => {
  const ta = await messageApp(t);
  const { code } = await report(ta);
  const res = await ta.app.inject({ method: 'POST', url: '/status/messages?lang=en', headers: FORM, payload: formBody({ code, text: INFO }) });
  t.equal(res.statusCode, 200);
  t.match(res.body, translator(loadCatalogs().en)('messages.sent.info'));
  t.notMatch(res.body, new RegExp(`(href|action|src)="[^"]*${code}`), 'no address carries the code');
});
