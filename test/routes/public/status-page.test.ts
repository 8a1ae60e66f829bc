import t, { type Test } from 'tap';
import { formatCode, generateCode } from '../../../src/lib/codes.js';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { reportKeys } from '../../../src/reports/service.js';
import { sealBytes } from '../../../src/lib/seal.js';
import { FORM, formBody, TEST_SECRET } from '../../support/app.js';
import { hiddenView, messageApp, messagesOf, report, sendMessage, statusPage } from '../../support/messages.js';

// The security review: the status pages wrote the typed code back into the input's value, where the
// next person to pick up the phone, and the browser's caches, found it. No status page holds a code.

const zh = translator(loadCatalogs()['zh-CN']);
const INFO = '补充一下：收钱的是村会计，当时还有两户人家在场。';
const fullWidth = (s: string) => [...s].map((c) => (/\d/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');

/** Every way a page could show a code: digits, grouped, with dashes, full-width, and its first 12 digits. */
function codeForms(code: string): string[] {
  return [code, formatCode(code), formatCode(code).replace(/ /g, '-'), fullWidth(code), code.slice(0, 12), formatCode(code).slice(0, 14)];
}

function assertNoCode(t: Test, html: string, code: string, what: string) {
  for (const form of codeForms(code)) t.notOk(html.includes(form), `${what}: no "${form}"`);
  t.notMatch(html, /name="code" value=/, `${what}: the code input is empty`);
}

t.test('no status page writes the code back: result, not found, typo, wrong length', async (t) => {
  const ta = await messageApp(t);
  const { code } = await report(ta);

  const found = await statusPage(ta, formatCode(code));
  t.equal(found.statusCode, 200);
  assertNoCode(t, found.body, code, 'the result page');
  t.ok(hiddenView(found.body), 'the message form carries a view token instead');

  const unknown = generateCode();
  const notFound = await statusPage(ta, formatCode(unknown));
  t.equal(notFound.statusCode, 404);
  t.match(notFound.body, zh('status.notFound'));
  assertNoCode(t, notFound.body, unknown, 'the not-found page');

  const typo = `${code.slice(0, 19)}${(Number(code[19]) + 1) % 10}`;
  const typoPage = await statusPage(ta, typo);
  t.equal(typoPage.statusCode, 400);
  t.match(typoPage.body, zh('errors.code.checkDigit'));
  assertNoCode(t, typoPage.body, typo, 'the typo page');
  assertNoCode(t, typoPage.body, code, 'the typo page');

  const short = code.slice(0, 19);
  const shortPage = await statusPage(ta, short);
  t.equal(shortPage.statusCode, 400);
  assertNoCode(t, shortPage.body, short, 'the wrong-length page');
});

t.test('the view token posts a message; a forged or expired one asks for the code again and keeps the message', async (t) => {
  const ta = await messageApp(t);
  const { code, id } = await report(ta);
  const view = hiddenView((await statusPage(ta, code)).body)!;

  const sent = await sendMessage(ta, { view, text: INFO });
  t.equal(sent.statusCode, 200);
  t.match(sent.body, zh('messages.sent.info'));
  t.equal((await messagesOf(ta, id)).length, 1);

  const keys = reportKeys(TEST_SECRET);
  const expired = sealBytes(keys.statusView, Buffer.from(`${id}.${Date.now() - 1000}`)).toString('base64url');
  const forged = sealBytes(Buffer.alloc(32, 7), Buffer.from(`${id}.${Date.now() + 3_600_000}`)).toString('base64url');
  for (const [what, token] of [['expired', expired], ['forged', forged], ['damaged', `${view.slice(0, -4)}AAAA`], ['garbage', '*'.repeat(300)]] as const) {
    const res = await sendMessage(ta, { view: token, text: '第二条补充：收据在村委会的抽屉里。', kind: 'info' });
    t.equal(res.statusCode, 400, what);
    t.match(res.body, zh('status.viewExpired'), `${what}: the page says why`);
    t.match(res.body, '<input type="hidden" name="text" value="第二条补充：收据在村委会的抽屉里。">', `${what}: the message travels on`);
    t.match(res.body, '<form method="post" action="/status"');
  }
  t.equal((await messagesOf(ta, id)).length, 1, 'nothing stored from a stale page');

  // The code typed again brings the message back into the form, ready to send.
  const again = await ta.app.inject({
    method: 'POST',
    url: '/status',
    headers: FORM,
    payload: formBody({ code, text: '第二条补充：收据在村委会的抽屉里。', kind: 'info' }),
  });
  t.equal(again.statusCode, 200);
  t.match(again.body, /<textarea id="text" name="text"[^>]*>第二条补充：收据在村委会的抽屉里。<\/textarea>/);
  t.equal((await messagesOf(ta, id)).length, 1, 'shown, not sent');
});
