import t from 'tap';
import { codeFrom, FORM, formBody, testApp, tokenFrom, VALID_REPORT } from '../helpers.js';

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
