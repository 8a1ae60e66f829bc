import t from 'tap';
import { codeFrom, FORM, formBody, testApp, tokenFrom, VALID_REPORT } from '../../support/app.js';

t.test('the form is in Chinese by default, with a fresh token each time', async (t) => {
  const { app } = await testApp(t);
  const a = await app.inject('/report');
  const b = await app.inject('/report');
  t.equal(a.statusCode, 200);
  t.match(a.body, '<html lang="zh-CN">');
  t.match(a.body, '问题类别');
  t.not(tokenFrom(a.body), tokenFrom(b.body));
});

t.test('a valid submission shows a code once, and the code finds the report', async (t) => {
  const { app, database } = await testApp(t);
  const form = await app.inject('/report');
  const res = await app.inject({
    method: 'POST', url: '/report', headers: FORM,
    payload: formBody({ ...VALID_REPORT, token: tokenFrom(form.body), village: 'gulu', amount: '５,０００', periodYear: '2023', periodMonth: '6' }),
  });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  const code = codeFrom(res.body);
  t.match(code, /^\d{20}$/);
  const rows = await database.db.selectFrom('reports').selectAll().execute();
  t.equal(rows.length, 1);
  t.equal(rows[0]!.amount_yuan, '5000.00');
  t.equal(rows[0]!.village, 'gulu');
  t.equal(rows[0]!.real_name, false);
  t.equal(rows[0]!.identity_sealed, null);

  const status = await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: code.replace(/(\d{4})/g, '$1-') }) });
  t.equal(status.statusCode, 200);
  t.match(status.body, '已收到，等待受理');
  t.equal(status.headers['cache-control'], 'no-store');
});

t.test('the receipt has a language switch that keeps the code out of every address', async (t) => {
  const { app, database } = await testApp(t);
  const form = await app.inject('/report');
  const res = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token: tokenFrom(form.body) }) });
  const code = codeFrom(res.body);
  t.equal([...res.body.matchAll(/class="code-group">\d{4}</g)].length, 5, 'the code in five unbreakable groups');
  t.equal([...res.body.matchAll(/class="code-line">/g)].length, 2, 'in two lines of 3 + 2 groups');
  const m = /<form method="post" action="([^"]+)" class="lang-form"><input type="hidden" name="receipt" value="([^"]+)">/.exec(res.body);
  t.ok(m, 'a switch in the header, as a form');
  const [action, sealed] = [m![1]!.replace(/&#x3D;/g, '='), m![2]!];
  t.equal(action, '/report/receipt?lang=en');
  t.notMatch(sealed, code, 'the code is not readable in the form');

  const english = await app.inject({ method: 'POST', url: action, headers: FORM, payload: formBody({ receipt: sealed }) });
  t.equal(english.statusCode, 200);
  t.match(english.body, '<html lang="en">');
  t.match(english.body, 'Report received');
  t.equal(codeFrom(english.body), code, 'the same code, in English');
  t.equal(english.headers['cache-control'], 'no-store');
  t.match(english.body, /action="\/report\/receipt\?lang=zh-CN"/, 'and back');
  t.equal((await database.db.selectFrom('reports').select('id').execute()).length, 1, 'nothing stored again');

  const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
  for (const receipt of [tampered, '', 'x'.repeat(60)]) {
    const res = await app.inject({ method: 'POST', url: '/report/receipt?lang=en', headers: FORM, payload: formBody({ receipt }) });
    t.equal(res.statusCode, 303, 'a receipt the server did not seal opens nothing');
    t.equal(res.headers.location, '/report');
  }
});

t.test('the status page shows 首页 once, at the bottom (and never the code)', async (t) => {
  const { app } = await testApp(t);
  const form = await app.inject('/report');
  const code = codeFrom((await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token: tokenFrom(form.body) }) })).body);
  const status = await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }) });
  t.equal(status.statusCode, 200);
  t.equal([...status.body.matchAll(/>首页</g)].length, 1, '首页 once');
  t.notMatch(status.body, 'code-group', 'the status page does not show the code');
});

t.test('the file picker has a button-like label in the page language, and the native input stays usable', async (t) => {
  const { app } = await testApp(t);
  for (const [lang, text] of [['zh-CN', '选择照片或文件'], ['en', 'Choose photos or files']] as const) {
    const page = await app.inject(`/report?lang=${lang}`);
    t.match(page.body, `<label for="files" class="button secondary file-button">${text}</label>`, `${lang}: the label a person taps`);
    const input = /<input type="file"[^>]*>/.exec(page.body)?.[0] ?? '';
    t.match(input, 'id="files"', 'tied to the native input');
    t.notMatch(input, /hidden|tabindex="-1"|visually-hidden/, 'which stays visible and focusable (it alone shows the files chosen)');
  }
});
