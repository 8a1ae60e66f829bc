import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { loadCatalogs } from '../../src/i18n/index.js';
import { FORM, formBody, HOTLINE, testApp } from '../support/app.js';

// Every error a visitor can meet is a real page in their language with the hotline number (or,
// under /api/, JSON carrying `hotline`), with the right status. Only 5xx are logged as errors.

const catalogs = loadCatalogs();
const LANGS = [
  { locale: 'zh-CN', headers: {} },
  { locale: 'en', headers: { 'accept-language': 'en' } },
] as const;

class Unreachable extends Error {
  code = 'ECONNREFUSED';
}

/** An app with two extra routes (added before it is ready) that fail like a bug and like an outage. */
async function appWithFailingRoutes(t: Test, env: Record<string, string> = {}) {
  const built = await testApp(t, { env });
  for (const prefix of ['', '/api/v1']) {
    built.app.get(`${prefix}/boom`, async () => {
      throw new Error('kaboom: secret internals');
    });
    built.app.get(`${prefix}/down`, async () => {
      throw new Unreachable('connect ECONNREFUSED 10.0.0.1:5432');
    });
  }
  return built;
}

const BIG = formBody({ description: '举'.repeat(50_000) });

// [name, status, request]: the same request is made once per language.
const PAGE_CASES: [string, number, InjectOptions][] = [
  ['malformed JSON', 400, { method: 'POST', url: '/report', headers: { 'content-type': 'application/json' }, payload: '{"category": ' }],
  ['empty JSON body', 400, { method: 'POST', url: '/status', headers: { 'content-type': 'application/json' }, payload: '' }],
  ['unknown path', 404, { url: '/no/such/page' }],
  ['unsupported method', 404, { method: 'PUT', url: '/report', headers: FORM, payload: 'a=b' }],
  ['DELETE on the home page', 404, { method: 'DELETE', url: '/' }],
  ['body too large', 413, { method: 'POST', url: '/report', headers: FORM, payload: BIG }],
  ['text/plain body', 415, { method: 'POST', url: '/report', headers: { 'content-type': 'text/plain' }, payload: 'description=x' }],
  ['XML body', 415, { method: 'POST', url: '/status', headers: { 'content-type': 'application/xml' }, payload: '<code/>' }],
  ['internal error', 500, { url: '/boom' }],
  ['database unreachable', 503, { url: '/down' }],
];

function checkPage(t: Test, res: LightMyRequestResponse, status: number, locale: string, name: string) {
  const catalog = catalogs[locale as 'en'];
  t.equal(res.statusCode, status, `${name}: status`);
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/, `${name}: HTML`);
  t.match(res.body, `<html lang="${locale}">`, `${name}: in ${locale}`);
  t.match(res.body, '<section class="card error-page">', `${name}: the error page`);
  t.match(res.body, `<title>${catalog[`errors.page.${status}.title`]} · `, `${name}: its title`);
  t.match(res.body, catalog[`errors.page.${status}.body`]!, `${name}: its explanation`);
  t.match(res.body, `<a href="tel:02367166106">${HOTLINE}</a>`, `${name}: the hotline, callable`);
  t.match(res.body, '<a class="button secondary" href="/">', `${name}: a way back home`);
  t.match(res.headers['content-security-policy'], /default-src 'none'/, `${name}: security headers`);
}

t.test('each error is an HTML page in Chinese and in English with the hotline', async (t) => {
  const { app } = await appWithFailingRoutes(t);
  for (const [name, status, req] of PAGE_CASES) {
    for (const lang of LANGS) {
      const res = await app.inject({ ...req, headers: { ...req.headers, ...lang.headers } });
      checkPage(t, res, status, lang.locale, `${name} (${lang.locale})`);
      t.notMatch(res.body, 'kaboom', 'no internals are shown');
      if (status === 503) t.equal(res.headers['retry-after'], '30', 'a 503 says when to retry');
    }
  }
});

t.test('an unknown tracking code is a 404 status page with the hotline, in both languages', async (t) => {
  const { app } = await testApp(t);
  for (const lang of LANGS) {
    const res = await app.inject({
      method: 'POST', url: '/status', headers: { ...FORM, ...lang.headers }, payload: formBody({ code: '0000 0000 0000 0000 0000' }),
    });
    t.equal(res.statusCode, 404);
    t.match(res.headers['content-type'], /^text\/html/);
    t.match(res.body, `<html lang="${lang.locale}">`);
    t.match(res.body, catalogs[lang.locale]['status.notFound']!);
    t.match(res.body, `<a href="tel:02367166106">${HOTLINE}</a>`);
    t.notMatch(res.body, '0000 0000 0000 0000 0000', 'what was typed is not written back (README, Security)');
  }
});

t.test('too many requests: a 429 page with the hotline and Retry-After, in both languages', async (t) => {
  const { app } = await testApp(t, { env: { RATE_LIMIT_LOOKUPS_PER_15_MIN: '1' } });
  for (const [i, lang] of LANGS.entries()) {
    const req = { method: 'POST' as const, url: '/status', headers: { ...FORM, ...lang.headers }, remoteAddress: `192.0.2.${i + 1}`, payload: formBody({ code: '1' }) };
    t.equal((await app.inject(req)).statusCode, 400);
    const res = await app.inject(req);
    checkPage(t, res, 429, lang.locale, `429 (${lang.locale})`);
    t.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 900, 'Retry-After within the window');
    t.match(res.body, catalogs[lang.locale]['errors.retryAfter']!.replace('{minutes}', '15'));
  }
});

const API_CASES: [string, number, string, InjectOptions][] = [
  ['malformed JSON', 400, 'bad_request', { method: 'POST', url: '/api/v1/reports', headers: { 'content-type': 'application/json' }, payload: '{"x": ' }],
  ['unknown path', 404, 'not_found', { url: '/api/v1/nothing' }],
  ['unknown method', 404, 'not_found', { method: 'DELETE', url: '/api/v1/reports' }],
  ['body too large', 413, 'payload_too_large', { method: 'POST', url: '/api/v1/reports', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ d: 'x'.repeat(140_000) }) }],
  ['text/plain body', 415, 'unsupported_media_type', { method: 'POST', url: '/api/v1/reports', headers: { 'content-type': 'text/plain' }, payload: '{}' }],
  ['XML body', 415, 'unsupported_media_type', { method: 'POST', url: '/api/v1/status', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }],
  ['internal error', 500, 'internal_error', { url: '/api/v1/boom' }],
  ['database unreachable', 503, 'unavailable', { url: '/api/v1/down' }],
];

t.test('under /api/ the same errors are JSON with the hotline, in the requested language', async (t) => {
  const { app } = await appWithFailingRoutes(t);
  for (const [name, status, error, req] of API_CASES) {
    for (const lang of LANGS) {
      const res = await app.inject({ ...req, headers: { ...req.headers, ...lang.headers } });
      t.equal(res.statusCode, status, `${name}: status`);
      t.match(res.headers['content-type'], /^application\/json/, `${name}: JSON`);
      t.same(res.json(), { error, message: catalogs[lang.locale][`errors.page.${status}.body`], hotline: HOTLINE }, `${name} (${lang.locale})`);
    }
  }
  const notFound = await app.inject({ method: 'POST', url: '/api/v1/status', headers: { 'accept-language': 'en' }, payload: { code: '00000000000000000000' } });
  t.equal(notFound.statusCode, 404);
  t.same(notFound.json(), { error: 'not_found', message: catalogs.en['status.notFound'], hotline: HOTLINE });
});

t.test('the API’s 429 is JSON with the hotline and Retry-After', async (t) => {
  const { app } = await testApp(t, { env: { RATE_LIMIT_LOOKUPS_PER_15_MIN: '1' } });
  const req = { method: 'POST' as const, url: '/api/v1/status', payload: { code: '1' } };
  t.equal((await app.inject(req)).statusCode, 400);
  const res = await app.inject(req);
  t.equal(res.statusCode, 429);
  t.same(res.json(), { error: 'too_many_requests', message: catalogs['zh-CN']['errors.page.429.body'], hotline: HOTLINE });
  t.ok(Number(res.headers['retry-after']) > 0);
});

interface LogLine {
  level: number;
  msg: string;
  err?: { message: string; stack?: string };
  res?: { statusCode: number };
}

async function logsOf(app: FastifyInstance, logs: string[], requests: InjectOptions[]): Promise<LogLine[]> {
  logs.length = 0;
  for (const req of requests) await app.inject(req);
  return logs.map((l) => JSON.parse(l) as LogLine);
}

t.test('a 500 is logged as an error; 4xx and 503 are not', async (t) => {
  const { app, logs } = await appWithFailingRoutes(t);
  const errors = (await logsOf(app, logs, [{ url: '/boom' }, { url: '/api/v1/boom' }])).filter((l) => l.level >= 50);
  t.equal(errors.length, 2, 'each 500 is logged once');
  for (const line of errors) {
    t.equal(line.msg, 'request failed');
    t.match(line.err, { message: 'kaboom: secret internals', stack: /errors\.test\.ts/ }, 'with what went wrong and where');
  }

  const clientErrors = [...PAGE_CASES, ...API_CASES.map(([n, s, , r]) => [n, s, r] as const)].filter(([, s]) => s < 500).map(([, , r]) => r);
  const lines = await logsOf(app, logs, clientErrors);
  const statuses = lines.filter((l) => l.res).map((l) => l.res!.statusCode);
  t.equal(statuses.length, clientErrors.length, 'every request was answered');
  t.ok(statuses.every((s) => s >= 400 && s < 500), 'all 4xx');
  t.same(lines.filter((l) => l.level >= 40), [], '4xx are not logged as errors or warnings');

  const outage = await logsOf(app, logs, [{ url: '/down' }]);
  t.same(outage.filter((l) => l.level >= 50), [], 'an outage is not a bug');
  t.ok(outage.some((l) => l.level === 40 && l.msg === 'database unavailable'), 'but it is logged as a warning');
});

t.test('a malformed URL gets a 400 with the hotline, in the user\'s language, with security headers', async (t) => {
  const { app } = await testApp(t);
  const zh = await app.inject('/%E0%A4%A');
  t.equal(zh.statusCode, 400);
  t.match(zh.body, '023-6716 6106');
  t.match(zh.body, '提交的内容无法处理');
  t.match(zh.headers['content-security-policy'], "default-src 'none'");
  t.equal(zh.headers['x-content-type-options'], 'nosniff');
  const en = await app.inject({ url: '/%E0%A4%A', headers: { 'accept-language': 'en' } });
  t.match(en.body, 'could not be processed');
});
