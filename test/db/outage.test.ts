import type { FastifyInstance, InjectOptions } from 'fastify';
import t, { type Test } from 'tap';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import {
  codeFrom, FORM, formBody, HOTLINE, rowCounts, serverUrl, startTcpProxy, testApp, testDatabase, tokenFrom, VALID_REPORT,
} from '../support/app.js';

// When the database cannot be reached, the visitor is told plainly that the report was NOT sent
// and given the hotline (503), never a receipt for a report that does not exist; when it comes
// back, the app recovers without a restart.


const submitForm = (token: string): InjectOptions => ({
  method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token }),
});
const submitApi: InjectOptions = { method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT };

async function timed(app: FastifyInstance, opts: InjectOptions) {
  const start = Date.now();
  const res = await app.inject(opts);
  return { res, ms: Date.now() - start };
}

/** The 503 answers while the database is away: page, API, health check and status lookup. */
async function expectUnavailable(t: Test, app: FastifyInstance, token: string) {
  const { res: page, ms } = await timed(app, submitForm(token));
  t.equal(page.statusCode, 503, 'the form gets 503');
  t.ok(ms < 7_000, `answered in ${ms} ms, not left hanging`);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, '<title>系统暂时无法使用 · ');
  t.match(page.body, '您的举报没有提交成功', 'says the report was not submitted');
  t.match(page.body, HOTLINE, 'with the hotline');
  t.equal(page.headers['retry-after'], '30');
  t.notMatch(page.body, 'tracking-code', 'not a receipt');
  t.notMatch(page.body, /\d{4} \d{4} \d{4} \d{4} \d{4}/, 'no tracking code anywhere');

  const english = await app.inject({ ...submitForm(token), headers: { ...FORM, 'accept-language': 'en' } });
  t.equal(english.statusCode, 503);
  t.match(english.body, 'Your report was NOT submitted');
  t.match(english.body, HOTLINE);

  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 503, '/healthz reports the outage');
  t.same(health.json(), { status: 'unavailable' });

  const api = await app.inject(submitApi);
  t.equal(api.statusCode, 503, 'the API gets 503');
  t.match(api.json(), { error: 'unavailable', hotline: HOTLINE });
  t.notOk('code' in api.json(), 'no code in the API answer');

  const status = await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: '0'.repeat(20) }) });
  t.equal(status.statusCode, 503, 'a lookup gets 503 too, not "not found"');
}

t.test('PostgreSQL through a proxy: cut, 503 and nothing written; restored, the app recovers', {
  skip: serverUrl() ? false : 'needs TEST_DATABASE_URL (a PostgreSQL server to put a proxy in front of)',
  timeout: 60_000,
}, async (t) => {
  const direct = await testDatabase(t);
  const target = new URL(direct.url!);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  t.teardown(() => proxy.close());
  const proxied = new URL(direct.url!);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const database = await connectDatabase({ kind: 'pg', url: proxied.toString(), poolSize: 2 });
  t.teardown(() => database.close());
  const { app, logs } = await testApp(t, { database });

  t.equal((await app.inject('/healthz')).statusCode, 200, 'healthy through the proxy');
  const form = await app.inject('/report');
  const token = tokenFrom(form.body);
  t.equal((await app.inject(submitForm(tokenFrom((await app.inject('/report')).body)))).statusCode, 200, 'a submission before the outage');
  const before = await rowCounts(direct.db);
  t.equal(before.reports, 1);

  await proxy.cut();
  await expectUnavailable(t, app, token);
  t.same(await rowCounts(direct.db), before, 'nothing (not half of anything) was written');
  const lines = logs.map((l) => JSON.parse(l) as { level: number; msg: string });
  t.ok(lines.some((l) => l.level === 40 && l.msg === 'database unavailable'), 'the outage is logged as a warning');
  t.notOk(lines.some((l) => l.level >= 50), 'and not as a bug');

  await proxy.restore();
  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 200, '/healthz recovers without a restart');
  const retried = await app.inject(submitForm(token));
  t.equal(retried.statusCode, 200, 'the same form, sent again, now works');
  const code = codeFrom(retried.body);
  t.match(code, /^\d{20}$/);
  t.equal((await app.inject(submitApi)).statusCode, 201, 'the API works again');
  const found = await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }) });
  t.equal(found.statusCode, 200, 'the new code finds its report');
  t.same(await rowCounts(direct.db), {
    ...before,
    reports: 3,
    submission_receipts: before.submission_receipts! + 1,
    mail_outbox: before.mail_outbox! + 2, // each report's new-lead notice
  });
});

t.test('a database handle closed under a running app: 503 page, never a receipt', { timeout: 60_000 }, async (t) => {
  let database: DatabaseHandle;
  if (serverUrl()) {
    const fresh = await testDatabase(t);
    database = await connectDatabase({ kind: 'pg', url: fresh.url!, poolSize: 2 });
  } else {
    database = await connectDatabase({ kind: 'pglite', dataDir: null });
    await migrate(database.pool);
  }
  const { app, logs } = await testApp(t, { database });
  const token = tokenFrom((await app.inject('/report')).body);
  t.equal((await app.inject(submitForm(tokenFrom((await app.inject('/report')).body)))).statusCode, 200, 'works while open');

  await database.close();
  await expectUnavailable(t, app, token);
  const lines = logs.map((l) => JSON.parse(l) as { level: number });
  t.notOk(lines.some((l) => l.level >= 50), 'recognized as an outage, not logged as a bug');
});
