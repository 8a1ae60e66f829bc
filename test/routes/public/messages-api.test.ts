import t from 'tap';
import { formatCode, generateCode } from '../../../src/lib/codes.js';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { HOTLINE } from '../../support/app.js';
import { conclude, lead, messageApp, messagesOf, report, step } from '../../support/messages.js';
import { signIn } from '../../support/staff.js';

// POST /api/v1/status/messages: the status page's message form as JSON, with the same schema,
// rules, limits and error shapes as the rest of the API.

const zh = translator(loadCatalogs()['zh-CN']);
const en = translator(loadCatalogs().en);
const INFO = '补充一下：收钱的是村会计，当时还有两户人家在场。';

t.test('add information, answer the oldest open question, report retaliation once concluded', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const post = (body: object, headers: Record<string, string> = {}) =>
    ta.app.inject({ method: 'POST', url: '/api/v1/status/messages', headers, payload: body });
  const status = async () => (await ta.app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } })).json();
  t.notOk('messages' in (await status()), 'no thread, no key');

  const fullWidth = [...code].map((d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).join('');
  const first = await post({ code: fullWidth, text: INFO });
  t.equal(first.statusCode, 201);
  t.match(first.headers['content-type'], /^application\/json/);
  const body = first.json();
  t.match(body, { status: 'received', statusLabel: zh('statuses.received.label'), merged: false, updates: [] }, 'the status, as a lookup gives it');
  t.match(body.messages, [{ from: 'reporter', kind: 'info', body: INFO, awaitingAnswer: false }], 'with the thread');
  t.equal(new Date(body.messages[0].createdAt).toISOString(), body.messages[0].createdAt);
  t.equal((await lead(ta, id)).attention, 1);

  const inv = await signIn(ta, 'investigator', 'wang.jianguo');
  for (const question of ['第一个问题：是哪一户？', '第二个问题：交了多少钱？']) {
    t.equal((await inv.post(`/staff/leads/${id}/question`, { version: String((await lead(ta, id)).version), question })).statusCode, 303);
  }
  const asked = await status();
  t.match(asked.messages, [{ kind: 'info' }, { from: 'staff', kind: 'question', awaitingAnswer: true }, { from: 'staff', kind: 'question', awaitingAnswer: true }]);
  t.notMatch(JSON.stringify(asked), 'wang.jianguo', 'never a staff name');
  for (const m of asked.messages) t.same(Object.keys(m).sort(), ['awaitingAnswer', 'body', 'createdAt', 'from', 'kind'], 'nor who asked');

  const answered = await post({ code: formatCode(code), text: '是村东头李家，就是李老四家。', kind: 'answer' });
  t.equal(answered.statusCode, 201);
  t.same(answered.json().messages.map((m: { kind: string; awaitingAnswer: boolean }) => [m.kind, m.awaitingAnswer]), [
    ['info', false], ['question', false], ['question', true], ['answer', false],
  ], 'the oldest question is answered');

  const early = await post({ code, text: '有人威胁我，说再告状就不给补助。', kind: 'retaliation' });
  t.equal(early.statusCode, 400);
  t.same(early.json().fields, [{ field: 'kind', code: 'message.tooEarly', message: zh('errors.message.tooEarly') }]);
  await conclude(inv, ta, id);
  const retaliation = await post({ code, text: '有人威胁我，说再告状就不给补助。', kind: 'retaliation' });
  t.equal(retaliation.statusCode, 201);
  t.equal(retaliation.json().status, 'concluded');
  t.match(await lead(ta, id), { attention: 2, priority: 1 });
  t.same((await messagesOf(ta, id)).map((m) => m.kind), ['info', 'question', 'question', 'answer', 'retaliation']);
});

t.test('errors: the same shapes as the rest of the API', async (t) => {
  const ta = await messageApp(t, { RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '2' });
  const { code, id } = await report(ta);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    ta.app.inject({ method: 'POST', url: '/api/v1/status/messages', headers, payload: body as object });

  const invalid = await post({ code: '', text: '短', kind: 'gossip' }, { 'accept-language': 'en' });
  t.equal(invalid.statusCode, 400);
  t.same(invalid.json(), {
    error: 'validation',
    message: en('errors.page.400.body'),
    fields: [
      { field: 'code', code: 'code.required', message: en('errors.code.required') },
      { field: 'text', code: 'text.tooShort', message: en('errors.text.tooShort', { min: 10, length: 1 }) },
      { field: 'kind', code: 'message.kind', message: en('errors.message.kind') },
    ],
  });
  t.same((await post({ code, text: 'x'.repeat(5001) })).json().fields, [
    { field: 'text', code: 'text.tooLong', message: zh('errors.text.tooLong', { max: 5000, length: 5001 }) },
  ]);
  t.same((await post({ code, text: `村会计\u200b收了五百元协调费` })).json().fields[0].code, 'text.invisible');
  t.same((await post({ code, text: 42 })).json().fields[0], { field: 'text', code: 'text.type', message: zh('errors.text.type') });
  t.same((await post({ code, text: INFO, kind: 'answer' })).json().fields, [
    { field: 'kind', code: 'message.noQuestion', message: zh('errors.message.noQuestion') },
  ]);
  const typo = await post({ code: `${code.slice(0, 5)}${(Number(code[5]) + 1) % 10}${code.slice(6)}`, text: INFO });
  t.equal(typo.statusCode, 400);
  t.same(typo.json().fields, [{ field: 'code', code: 'code.checkDigit', message: zh('errors.code.checkDigit') }]);
  t.equal((await messagesOf(ta, id)).length, 0, 'nothing stored by any of these');

  const unknown = await post({ code: generateCode(), text: INFO });
  t.equal(unknown.statusCode, 404);
  t.same(unknown.json(), { error: 'not_found', message: zh('status.notFound'), hotline: HOTLINE });
  t.equal((await post({ code: generateCode(), text: INFO })).statusCode, 404);
  t.equal((await post({ code: generateCode(), text: INFO })).statusCode, 429, 'unknown codes count as failed lookups');
  const blocked = await post({ code, text: INFO });
  t.equal(blocked.statusCode, 429, 'and the address is now refused even a right code');
  t.match(blocked.json(), { error: 'too_many_requests', hotline: HOTLINE });
  t.ok(Number(blocked.headers['retry-after']) > 0);

  t.equal((await ta.app.inject({ method: 'POST', url: '/api/v1/status/messages', headers: { 'content-type': 'text/plain' }, payload: 'hello' })).statusCode, 415);
});

t.test('a transferred lead: 409 with the hotline', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const admin = await signIn(ta, 'admin');
  await step(admin, ta, id, { to: 'transferred', transferredTo: '区住建委', publicUpdate: '已移交区住建委办理。' });
  const res = await ta.app.inject({ method: 'POST', url: '/api/v1/status/messages', payload: { code, text: INFO } });
  t.equal(res.statusCode, 409);
  t.same(res.json(), { error: 'conflict', message: zh('messages.closed'), hotline: HOTLINE });
});

t.test('submissions and messages share one limit per address', async (t) => {
  const ta = await messageApp(t, { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '2' });
  const { code } = await report(ta);
  t.equal((await ta.app.inject({ method: 'POST', url: '/api/v1/status/messages', payload: { code, text: INFO } })).statusCode, 201);
  t.equal((await ta.app.inject({ method: 'POST', url: '/api/v1/status/messages', payload: { code, text: INFO } })).statusCode, 429);
});

t.test('the OpenAPI document describes the message endpoint from the same schema', async (t) => {
  const ta = await messageApp(t);
  const doc = (await ta.app.inject('/api/v1/openapi.json')).json();
  const op = doc.paths['/api/v1/status/messages'].post;
  const schema = op.requestBody.content['application/json'].schema;
  t.same(schema.required, ['code', 'text']);
  t.same(schema.properties.kind.enum, ['info', 'answer', 'retaliation']);
  t.same(Object.keys(op.responses).sort(), ['201', '400', '404', '409', '413', '429', '503']);
  t.ok(op.responses['201'].content['application/json'].schema.properties.messages);
});
