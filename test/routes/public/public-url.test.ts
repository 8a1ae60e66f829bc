import { readFileSync } from 'node:fs';
import t from 'tap';
import { codeFrom, FORM, formBody, testApp, tokenFrom, VALID_REPORT } from '../../support/app.js';
import { signIn } from '../../support/staff.js';

// Issue 15: started with PORT=3202 and no PUBLIC_URL, the receipt card and the poster carried
// http://127.0.0.1:3000. The address is derived from HOST and PORT; beyond loopback without
// PUBLIC_URL every staff page says the printed address is probably wrong.

const zh = JSON.parse(readFileSync('locales/zh-CN.json', 'utf8'));
const en = JSON.parse(readFileSync('locales/en.json', 'utf8'));

async function receipt(app: Awaited<ReturnType<typeof testApp>>['app']) {
  const form = await app.inject('/report');
  const res = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token: tokenFrom(form.body) }) });
  codeFrom(res.body);
  return res.body;
}

t.test('the receipt and the poster carry the address derived from HOST and PORT', async (t) => {
  const { app } = await testApp(t, { env: { PORT: '3202' } });
  t.match(await receipt(app), 'http://127.0.0.1:3202/status', 'the receipt card says where to check, on the port listened on');
  const poster = await app.inject('/poster');
  t.match(poster.body, 'http://127.0.0.1:3202');
  t.notMatch(poster.body, '127.0.0.1:3000');
});

t.test('listening beyond loopback without PUBLIC_URL: a notice on every staff page, in both languages', async (t) => {
  const ta = await testApp(t, { env: { HOST: '0.0.0.0', PORT: '3202' } });
  const admin = await signIn(ta, 'admin');
  const notice = (lang: 'zh-CN' | 'en') => (lang === 'en' ? en : zh).staff.publicUrlMissing.replace('{url}', 'http://127.0.0.1:3202');
  for (const url of ['/staff/leads', '/staff/users', '/staff/dashboard']) {
    const page = await admin.get(url);
    t.equal(page.statusCode, 200, url);
    t.match(page.body, notice('zh-CN'), `${url}: the notice names PUBLIC_URL and the address printed`);
  }
  const english = await ta.app.inject({ url: '/staff/leads?lang=en', headers: { cookie: admin.cookie } });
  t.match(english.body, notice('en'), 'in English too');
  t.match(notice('en'), 'PUBLIC_URL');
  const home = await ta.app.inject('/');
  t.notMatch(home.body, 'PUBLIC_URL', 'public pages do not show it');
});

t.test('with PUBLIC_URL, or on loopback, no notice', async (t) => {
  for (const env of [{ HOST: '0.0.0.0', PUBLIC_URL: 'http://jubao.example.cn' }, { HOST: '127.0.0.1' }] as Record<string, string>[]) {
    const ta = await testApp(t, { env });
    const admin = await signIn(ta, 'admin');
    t.notMatch((await admin.get('/staff/leads')).body, 'staff-warning', JSON.stringify(env));
  }
});
