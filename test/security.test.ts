import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { codeFrom, FORM, formBody, HOTLINE, testApp, tokenFrom, VALID_REPORT, withFormToken } from './support/app.js';
import { checkHeaders, checkMarkup } from './support/page-checks.js';

// Headers and markup that keep a reporter's visit private and the pages safe: a strict CSP, no
// referrer, no framing, no cache for pages showing a code, no inline script/style/handler, no
// third-party resource, and every form usable without JavaScript.

t.test('every public page and response carries the strict headers; HTML pages have clean markup', async (t) => {
  const { app } = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '2' } });
  const form = await app.inject('/report');
  const receipt = await app.inject({
    method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token: tokenFrom(form.body) }),
  });
  const code = codeFrom(receipt.body);
  const pages: Record<string, LightMyRequestResponse> = {
    home: await app.inject('/'),
    'home (en)': await app.inject({ url: '/', headers: { 'accept-language': 'en' } }),
    'report form': form,
    'report form with errors': await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ description: 'x' }) }),
    receipt,
    status: await app.inject('/status'),
    'status result': await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }) }),
    'status not found': await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: '0'.repeat(20) }) }),
    'status invalid': await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: '123' }) }),
    '404 page': await app.inject('/no-such-page'),
    '429 page': await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody(VALID_REPORT) }),
  };
  t.equal(pages.receipt!.statusCode, 200);
  t.equal(pages['status result']!.statusCode, 200);
  t.equal(pages['report form with errors']!.statusCode, 400);
  t.equal(pages['404 page']!.statusCode, 404);
  t.equal(pages['429 page']!.statusCode, 429);
  for (const [name, res] of Object.entries(pages)) {
    t.match(res.headers['content-type'], /^text\/html; charset=utf-8/, `${name}: HTML`);
    checkHeaders(t, name, res);
    checkMarkup(t, name, res.body);
  }
  const others: Record<string, LightMyRequestResponse> = {
    'static css': await app.inject('/static/app.css'),
    'static js': await app.inject('/static/app.js'),
    'static svg': await app.inject('/static/favicon.svg'),
    healthz: await app.inject('/healthz'),
    'api 404': await app.inject('/api/v1/nope'),
    'api status': await app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } }),
  };
  for (const [name, res] of Object.entries(others)) checkHeaders(t, name, res);
  t.equal(others['static css']!.statusCode, 200);
  t.equal(others['static js']!.statusCode, 200);
  t.equal(others['api status']!.statusCode, 200);
});

t.test('pages that show a code or what was typed are never cached', async (t) => {
  const { app } = await testApp(t);
  const receipt = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody(withFormToken(VALID_REPORT)) });
  const code = codeFrom(receipt.body);
  const responses = {
    receipt,
    'api receipt': await app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT }),
    'status form': await app.inject('/status'),
    'status result': await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }) }),
    'status not found': await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: '0'.repeat(20) }) }),
    'api status': await app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } }),
    'report form': await app.inject('/report'),
  };
  for (const [name, res] of Object.entries(responses)) {
    t.ok(res.statusCode < 500, `${name}: answered`);
    t.equal(res.headers['cache-control'], 'no-store', `${name}: Cache-Control no-store`);
  }
  // Static files are the only thing a browser may keep, and they hold nothing personal.
  const css = await app.inject('/static/app.css');
  t.match(css.headers['cache-control'], /max-age=\d+/);
});

t.test('a body over 128 KB gets the 413 page in the visitor’s language, with the hotline', async (t) => {
  const { app, database } = await testApp(t);
  const big = '举'.repeat(50_000); // 150 KB in UTF-8, more once percent-encoded
  const cases = [
    { lang: 'zh-CN', title: '内容太长', headers: { ...FORM }, payload: formBody({ ...VALID_REPORT, description: big }) },
    { lang: 'en', title: 'Too long', headers: { ...FORM, 'accept-language': 'en' }, payload: formBody({ ...VALID_REPORT, description: big }) },
    { lang: 'en', title: 'Too long', headers: { 'content-type': 'application/json', 'accept-language': 'en' }, payload: JSON.stringify({ description: big }) },
  ];
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/report', headers: c.headers, payload: c.payload });
    t.equal(res.statusCode, 413);
    t.match(res.headers['content-type'], /^text\/html/);
    t.match(res.body, `<html lang="${c.lang}">`);
    t.match(res.body, c.title);
    t.match(res.body, HOTLINE);
    checkHeaders(t, `413 ${c.lang}`, res);
    checkMarkup(t, `413 ${c.lang}`, res.body);
  }
  const api = await app.inject({
    method: 'POST', url: '/api/v1/reports', headers: { 'content-type': 'application/json', 'accept-language': 'en' },
    payload: JSON.stringify({ ...VALID_REPORT, description: big }),
  });
  t.equal(api.statusCode, 413);
  t.match(api.json(), { error: 'payload_too_large', hotline: HOTLINE, message: /too long/ });
  checkHeaders(t, '413 api', api);
  // Just under the limit is not refused for its size (it is refused for its length, with a form).
  const under = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, description: 'a'.repeat(120_000) }) });
  t.equal(under.statusCode, 400);
  t.match(under.body, 'name="description"');
  t.equal(await database.db.selectFrom('reports').select('id').execute().then((r) => r.length), 0, 'nothing was stored');
});
