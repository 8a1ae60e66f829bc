import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { loadCatalogs, translator } from '../../src/i18n/index.js';
import { HOTLINE, testApp } from '../support/app.js';
import { checkHeaders } from '../support/page-checks.js';
import { signIn } from '../support/staff.js';

// The security review: an unknown method got Node's bare 400 without any security header, and the
// answers had no Permissions-Policy nor, on the staff side and the status page, X-Robots-Tag. Every
// route of the route table, with every method, and what Node's parser refuses, carry the same set.

const zh = translator(loadCatalogs()['zh-CN']);
const en = translator(loadCatalogs().en);

/** A route's path with its parameters filled in. */
const concrete = (url: string) => url.replace(/:[a-zA-Z]+/g, '1').replace(/\*/g, 'app.css');
const unlisted = (url: string) => /^\/(staff|status|api\/v1\/status)(\/|$)/.test(url);

t.test('every route × GET, HEAD, POST and an unknown method: the same headers on every answer', async (t) => {
  const ta = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000', RATE_LIMIT_LOOKUPS_PER_15_MIN: '1000' } });
  const admin = await signIn(ta, 'admin');
  const paths = [...new Set(ta.app.routeTable.map((r) => concrete(r.url)))];
  t.ok(paths.length > 60, `${paths.length} paths in the route table`);
  t.ok(paths.includes('/staff/leads') && paths.includes('/report') && paths.includes('/api/v1/status'));
  for (const path of paths) {
    for (const method of ['GET', 'HEAD', 'POST', 'PROPFIND'] as const) {
      for (const who of ['anonymous', 'admin'] as const) {
        if (who === 'admin' && !path.startsWith('/staff')) continue;
        const headers = who === 'admin' ? { cookie: admin.cookie } : {};
        const res: LightMyRequestResponse = await ta.app.inject({ method, url: path, headers });
        const name = `${method} ${path} (${who}) → ${res.statusCode}`;
        checkHeaders(t, name, res);
        if (unlisted(path)) t.equal(res.headers['x-robots-tag'], 'noindex, nofollow', `${name}: X-Robots-Tag`);
        if (!path.startsWith('/static/')) t.equal(res.headers['cache-control'], 'no-store', `${name}: no-store`);
      }
    }
  }
  t.equal((await ta.app.inject('/')).headers['x-robots-tag'], undefined, 'the public pages stay findable');
});

/** Sends raw bytes to a listening server and reads the whole answer. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string) {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

t.test('what Node refuses before routing (unknown method, bad request line, huge headers): headers and hotline, in the user’s language', async (t) => {
  const ta = await testApp(t);
  await ta.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = ta.app.server.address() as AddressInfo;
  const cases = [
    { what: 'an unknown method', raw: 'XXX /report HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, t: zh, lang: 'zh-CN' },
    { what: 'an unknown method, in English', raw: 'XXX /report HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n\r\n', status: 400, t: en, lang: 'en' },
    { what: 'a broken request line', raw: 'GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, t: zh, lang: 'zh-CN' },
    { what: 'oversized headers', raw: `GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431, t: en, lang: 'en' },
  ];
  for (const c of cases) {
    const answer = parseRaw(await rawRequest(port, c.raw));
    t.equal(answer.status, c.status, `${c.what}: ${answer.status}`);
    checkHeaders(t, c.what, { headers: answer.headers } as unknown as LightMyRequestResponse);
    t.equal(answer.headers['cache-control'], 'no-store');
    t.match(answer.body, `<html lang="${c.lang}">`, `${c.what}: in the user's language`);
    t.match(answer.body, HOTLINE, `${c.what}: with the hotline`);
    t.match(answer.body, c.t('errors.callUs'));
  }
});

t.test('staff changes from another site are refused, whatever the token; same-site and header-less ones pass', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const post = (headers: Record<string, string>) =>
    ta.app.inject({
      method: 'POST',
      url: '/staff/settings/2fa',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({ _csrf: admin.csrf, required: 'maybe' }).toString(),
    });
  const refused: Record<string, string>[] = [
    { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { origin: 'null', 'sec-fetch-site': 'cross-site' },
  ];
  for (const headers of refused) {
    const res = await post(headers);
    t.equal(res.statusCode, 403, `refused: ${JSON.stringify(headers)}`);
    t.match(res.body, HOTLINE);
  }
  const accepted: Record<string, string>[] = [{}, { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: 'http://127.0.0.1:3000' },
    // What Chromium sends for our own forms under Referrer-Policy: no-referrer.
    { origin: 'null', 'sec-fetch-site': 'same-origin' }, { origin: 'null' }];
  for (const headers of accepted) {
    const res = await post(headers);
    t.not(res.statusCode, 403, `passes the origin check: ${JSON.stringify(headers)} → ${res.statusCode}`);
  }
  const login = await ta.app.inject({ method: 'POST', url: '/staff/login', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=a&password=b' });
  t.equal(login.statusCode, 403, 'the login form too');
});

t.test('staff logout clears the browser’s cache, cookies and storage for the portal', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const res = await admin.post('/staff/logout', {});
  t.equal(res.statusCode, 303);
  t.equal(res.headers['clear-site-data'], '"cache", "cookies", "storage"');
});
