import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FORM, formBody, HOTLINE, publicTables, rowCounts, testApp, VALID_REPORT, withFormToken } from '../support/app.js';

// Abuse limits per client address: submissions (form and API together), lookups, failed lookups
// (tighter), and unknown paths. Without REDIS_URL they live in memory (shared counters:
// test/limits/redis.test.ts): hitting them never writes to the database.

const A = '192.0.2.10';
const B = '192.0.2.20';
const C = '192.0.2.30';

const form = (remoteAddress: string, extra: Partial<InjectOptions> = {}): InjectOptions => ({
  method: 'POST', url: '/report', headers: FORM, payload: formBody(withFormToken(VALID_REPORT)), remoteAddress, ...extra,
});
const api = (remoteAddress: string, extra: Partial<InjectOptions> = {}): InjectOptions => ({
  method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT, remoteAddress, ...extra,
});

function isLimitPage(t: Test, res: LightMyRequestResponse, windowSeconds: number, name: string) {
  t.equal(res.statusCode, 429, `${name}: 429`);
  t.match(res.headers['content-type'], /^text\/html/, `${name}: a page`);
  t.match(res.body, /<title>(操作太频繁|Too many attempts) · /, `${name}: says why`);
  t.match(res.body, HOTLINE, `${name}: with the hotline`);
  const retry = Number(res.headers['retry-after']);
  t.ok(retry > windowSeconds - 60 && retry <= windowSeconds, `${name}: Retry-After ${retry}s within the ${windowSeconds}s window`);
}
function isLimitJson(t: Test, res: LightMyRequestResponse, name: string) {
  t.equal(res.statusCode, 429, `${name}: 429`);
  t.match(res.json(), { error: 'too_many_requests', hotline: HOTLINE }, `${name}: JSON with the hotline`);
  t.ok(Number(res.headers['retry-after']) > 0, `${name}: Retry-After`);
}

t.test('submissions: n per address per hour, form and API counted together', async (t) => {
  const { app, database } = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '3' } });
  const tables = await publicTables(database.db);
  const before = await rowCounts(database.db);

  // A uses the form, then the API; B the API, then the form.
  for (let i = 0; i < 3; i++) t.equal((await app.inject(form(A))).statusCode, 200, `A: form submission ${i + 1}`);
  isLimitJson(t, await app.inject(api(A)), 'A: the API after three forms');
  isLimitPage(t, await app.inject(form(A)), 3600, 'A: a fourth form');
  for (let i = 0; i < 3; i++) t.equal((await app.inject(api(B))).statusCode, 201, `B: API submission ${i + 1}`);
  isLimitPage(t, await app.inject(form(B)), 3600, 'B: the form after three API calls');
  const english = await app.inject(form(B, { headers: { ...FORM, 'accept-language': 'en' } }));
  isLimitPage(t, english, 3600, 'B again');
  t.match(english.body, '<html lang="en">', 'in the visitor’s language');

  // Another address is not affected, and even an invalid submission is counted.
  t.equal((await app.inject(form(C))).statusCode, 200, 'C: unaffected');
  t.equal((await app.inject(form(C, { payload: formBody({ description: 'x' }) }))).statusCode, 400);
  t.equal((await app.inject(form(C))).statusCode, 200);
  isLimitPage(t, await app.inject(form(C)), 3600, 'C: the fourth attempt');

  t.same(await publicTables(database.db), tables, 'no table was created');
  t.same(
    await rowCounts(database.db),
    { ...before, reports: before.reports! + 8, mail_outbox: before.mail_outbox! + 8, submission_receipts: before.submission_receipts! + 5 },
    'only the accepted reports (each with its new-lead notice, and the form ones with their receipt) were written',
  );
});

t.test('without TRUST_PROXY a forged X-Forwarded-For does not escape the limit; with it, each client counts alone', async (t) => {
  const direct = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1' } });
  const xff = (ip: string) => ({ headers: { ...FORM, 'x-forwarded-for': ip } });
  t.equal((await direct.app.inject(form(A, xff('198.51.100.1')))).statusCode, 200);
  isLimitPage(t, await direct.app.inject(form(A, xff('198.51.100.2'))), 3600, 'forged header ignored');

  const proxied = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1', TRUST_PROXY: 'true' } });
  t.equal((await proxied.app.inject(form(A, xff('198.51.100.1')))).statusCode, 200);
  t.equal((await proxied.app.inject(form(A, xff('198.51.100.2')))).statusCode, 200, 'another client behind the proxy');
  isLimitPage(t, await proxied.app.inject(form(A, xff('198.51.100.1'))), 3600, 'the first client again');
});

t.test('TRUST_PROXY as the proxy’s network or a hop count: only a trusted proxy’s header counts', async (t) => {
  const xff = (ip: string) => ({ headers: { ...FORM, 'x-forwarded-for': ip } });
  const cidr = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1', TRUST_PROXY: '192.0.2.0/28' } });
  t.equal((await cidr.app.inject(form(A, xff('198.51.100.1')))).statusCode, 200, 'through the proxy (192.0.2.10)');
  t.equal((await cidr.app.inject(form(A, xff('198.51.100.2')))).statusCode, 200, 'another client through it');
  t.equal((await cidr.app.inject(form(C, xff('198.51.100.3')))).statusCode, 200, 'from outside the proxy network');
  isLimitPage(t, await cidr.app.inject(form(C, xff('198.51.100.4'))), 3600, 'a forged header from outside it is ignored');

  const hops = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1', TRUST_PROXY: '1' }, database: cidr.database });
  t.equal((await hops.app.inject(form(A, xff('198.51.100.1')))).statusCode, 200);
  t.equal((await hops.app.inject(form(A, xff('198.51.100.2')))).statusCode, 200, 'one hop: the address the proxy saw');
  // A client that forges a header of its own gets it prefixed by the proxy's: only the last hop is taken.
  isLimitPage(t, await hops.app.inject(form(A, xff('203.0.113.9, 198.51.100.1'))), 3600, 'a forged earlier hop is ignored');
});

t.test('the client address (behind TRUST_PROXY, the forwarded one) is read by the limits and nowhere else', async (t) => {
  const sources = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const readers = sources.filter((f) => /\b(request|req)\.(ip|ips|socket)\b|remoteAddress|x-forwarded-for/i.test(readFileSync(join('src', f), 'utf8')));
  t.same(readers, [join('plugins', 'limits.ts')]);
});

t.test('lookups: failed ones are limited more tightly, and successful ones do not count as failures', async (t) => {
  const { app, database } = await testApp(t, {
    env: { RATE_LIMIT_LOOKUPS_PER_15_MIN: '8', RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '2' },
  });
  const created = await app.inject(api('192.0.2.99'));
  const code = created.json<{ code: string }>().code;
  const before = await rowCounts(database.db);

  const found = (ip: string, via: 'form' | 'api') =>
    via === 'form'
      ? app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }), remoteAddress: ip })
      : app.inject({ method: 'POST', url: '/api/v1/status', payload: { code }, remoteAddress: ip });
  const unknown = (ip: string, via: 'form' | 'api') =>
    via === 'form'
      ? app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: '0'.repeat(20) }), remoteAddress: ip })
      : app.inject({ method: 'POST', url: '/api/v1/status', payload: { code: '0'.repeat(20) }, remoteAddress: ip });

  // A: three successful lookups, then the failures: two are answered, the third is refused.
  for (const via of ['form', 'api', 'form'] as const) t.equal((await found(A, via)).statusCode, 200, `A: found (${via})`);
  t.equal((await unknown(A, 'form')).statusCode, 404, 'A: first unknown code');
  t.equal((await unknown(A, 'api')).statusCode, 404, 'A: second unknown code (API counts too)');
  isLimitPage(t, await unknown(A, 'form'), 3600, 'A: third unknown code');
  isLimitJson(t, await unknown(A, 'api'), 'A: and through the API');
  t.equal((await found(A, 'form')).statusCode, 429, 'A: once blocked, even a right code is not answered');
  t.equal((await found(A, 'api')).statusCode, 429, 'A: nor through the API');

  // B: only successful lookups, form and API together, up to the (looser) lookup limit.
  for (let i = 0; i < 8; i++) t.equal((await found(B, i % 2 ? 'api' : 'form')).statusCode, 200, `B: lookup ${i + 1}`);
  isLimitPage(t, await found(B, 'form'), 900, 'B: ninth lookup');
  isLimitJson(t, await found(B, 'api'), 'B: ninth lookup through the API');

  // C has its own counters.
  t.equal((await unknown(C, 'form')).statusCode, 404, 'C: unaffected by A');
  t.equal((await found(C, 'api')).statusCode, 200, 'C: unaffected by B');

  t.same(await rowCounts(database.db), before, 'lookups and their limits wrote nothing');
});

t.test('the 404 handler is rate-limited too', async (t) => {
  const { app, database } = await testApp(t);
  const before = await rowCounts(database.db);
  const statuses = new Set<number>();
  for (let i = 0; i < 120; i++) {
    statuses.add((await app.inject({ url: `/guess-${i}`, remoteAddress: A })).statusCode);
  }
  t.same([...statuses], [404], '120 unknown paths a minute are answered');
  isLimitPage(t, await app.inject({ url: '/guess-more', remoteAddress: A }), 60, 'the 121st');
  isLimitJson(t, await app.inject({ url: '/api/v1/guess', remoteAddress: A }), 'under /api/');
  t.equal((await app.inject({ url: '/guess', remoteAddress: B })).statusCode, 404, 'another address is unaffected');
  t.equal((await app.inject({ url: '/', remoteAddress: A })).statusCode, 200, 'real pages still work for A');
  t.same(await rowCounts(database.db), before, 'nothing was written');
});

t.test('a blocked IPv6 guesser does not escape by moving to another address in its subnet', async (t) => {
  const { app } = await testApp(t, { env: { RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '1' } });
  const code = (await app.inject(api('2001:db8:0:1::9'))).json<{ code: string }>().code;
  const lookup = (ip: string, c: string) => app.inject({ method: 'POST', url: '/api/v1/status', payload: { code: c }, remoteAddress: ip });
  t.equal((await lookup('2001:db8:0:1::1', '0'.repeat(20))).statusCode, 404);
  t.equal((await lookup('2001:db8:0:1::1', '0'.repeat(20))).statusCode, 429, 'blocked');
  t.equal((await lookup('2001:db8:0:1::2', code)).statusCode, 429, 'same subnet, other address: still blocked');
  t.equal((await lookup('2001:db8:ffff::1', code)).statusCode, 200, 'another subnet is not');
});

t.test('without Redis the portal-wide budget of unknown codes is counted by the instance: lookups slowed, staff told once', async (t) => {
  const { app, database } = await testApp(t, { env: { RATE_LIMIT_PORTAL_FAILED_LOOKUPS_PER_HOUR: '3', RATE_LIMIT_SLOW_LOOKUP_SECONDS: '1' } });
  for (let i = 0; i < 6; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/status', payload: { code: '0'.repeat(20) }, remoteAddress: `203.0.113.${i + 1}` });
    t.equal(res.statusCode, 404);
  }
  const started = Date.now();
  const res = await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: '0'.repeat(20) }), remoteAddress: '198.51.100.9' });
  t.equal(res.statusCode, 404, 'still answered');
  t.ok(Date.now() - started >= 900, 'after the wait');
  const notices = await database.db.selectFrom('mail_outbox').select('kind').where('kind', '=', 'guessing').execute();
  t.equal(notices.length, 1, 'one notice');
});
