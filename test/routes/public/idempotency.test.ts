import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { loadCatalogs } from '../../../src/i18n/index.js';
import { codeFrom, FORM, formBody, testApp, tokenFrom, VALID_REPORT } from '../../support/app.js';

// A retried or double-tapped submission must not file the same report twice, and must show the
// reporter the code they may have missed the first time.

const REPLAYED = loadCatalogs()['zh-CN']['receipt.replayed']!;
const ENV = { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000' };

async function setup(t: Test) {
  const { app, database } = await testApp(t, { env: ENV });
  const token = async () => tokenFrom((await app.inject('/report')).body);
  const post = (fields: Record<string, string>) => app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody(fields) });
  const count = async (table: 'reports' | 'submission_receipts' = 'reports') =>
    Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(database.db)).rows[0]!.n);
  return { app, db: database.db, token, post, count };
}

t.test('the same form posted twice files one report and shows the same code again', async (t) => {
  const { token, post, count } = await setup(t);
  const fields = { ...VALID_REPORT, token: await token(), village: 'gulu', amount: '500' };
  const first = await post(fields);
  t.equal(first.statusCode, 200);
  t.notMatch(first.body, REPLAYED, 'no notice the first time');
  const second = await post(fields);
  t.equal(second.statusCode, 200);
  t.equal(codeFrom(second.body), codeFrom(first.body), 'the same code');
  t.match(second.body, REPLAYED, 'with the "already received" notice');
  t.equal(second.headers['cache-control'], 'no-store');
  t.equal(await count(), 1);
  t.equal(await count('submission_receipts'), 1);
  t.equal(codeFrom((await post(fields)).body), codeFrom(first.body), 'and again on a third try');
  t.equal(await count(), 1);
});

t.test('the same token with different content is a second report', async (t) => {
  const { token, post, count } = await setup(t);
  const shared = await token();
  const first = await post({ ...VALID_REPORT, token: shared });
  const edited = await post({ ...VALID_REPORT, token: shared, description: `${VALID_REPORT.description}还有一件事。` });
  t.equal(edited.statusCode, 200);
  t.not(codeFrom(edited.body), codeFrom(first.body), 'a different code');
  t.notMatch(edited.body, REPLAYED);
  t.equal(await count(), 2);
  const other = await post({ ...VALID_REPORT, token: shared, identity: 'real', name: '李四', phone: '13812345678' });
  t.not(codeFrom(other.body), codeFrom(first.body), 'adding a name is different content too');
  t.equal(await count(), 3);
  const again = await post({ ...VALID_REPORT, token: shared });
  t.equal(codeFrom(again.body), codeFrom(first.body), 'the original content still finds the first report');
  t.match(again.body, REPLAYED);
  t.equal(await count(), 3);
});

t.test('an invalid submission does not use up the token', async (t) => {
  const { token, post, count } = await setup(t);
  const shared = await token();
  const invalid = await post({ ...VALID_REPORT, token: shared, category: '' });
  t.equal(invalid.statusCode, 400);
  t.equal(tokenFrom(invalid.body), shared, 'the re-rendered form keeps its token');
  t.equal(await count('submission_receipts'), 0);
  const fixed = await post({ ...VALID_REPORT, token: shared });
  t.notMatch(fixed.body, REPLAYED);
  t.equal(await count(), 1);
});

t.test('concurrent posts with the same token file one report', async (t) => {
  const { token, post, count } = await setup(t);
  const fields = { ...VALID_REPORT, token: await token() };
  const responses = await Promise.all(Array.from({ length: 5 }, () => post(fields)));
  t.same(responses.map((r) => r.statusCode), [200, 200, 200, 200, 200]);
  const codes = new Set(responses.map((r) => codeFrom(r.body)));
  t.equal(codes.size, 1, 'every response shows the same code');
  t.equal(responses.filter((r) => r.body.includes(REPLAYED)).length, 4, 'all but one say it was already received');
  t.equal(await count(), 1);
  t.equal(await count('submission_receipts'), 1);
});

t.test('without a token of ours, or with the honeypot filled, nothing is stored: the form comes back with everything kept', async (t) => {
  const { token, post, count } = await setup(t);
  const zh = loadCatalogs()['zh-CN'];
  const genuine = await token();
  const [random] = genuine.split('.');
  const cases: [string, Record<string, string>][] = [
    ['no token', { ...VALID_REPORT }],
    ['an empty token', { ...VALID_REPORT, token: '' }],
    ['an old-style random token', { ...VALID_REPORT, token: 'AbCdEfGhIjKlMnOpQrStUvWx' }],
    ['a forged MAC', { ...VALID_REPORT, token: `${random}.${'A'.repeat(22)}` }],
    ['spaces and junk', { ...VALID_REPORT, token: 'has spaces and more than sixteen chars' }],
    ['the honeypot filled', { ...VALID_REPORT, token: genuine, website: 'http://spam.example' }],
  ];
  for (const [what, fields] of cases) {
    const res = await post({ ...fields, subject: '村会计王某' });
    t.equal(res.statusCode, 400, what);
    t.notMatch(res.body, 'id="tracking-code"', `${what}: no code`);
    t.match(res.body, zh['errors.form.resubmit']!, `${what}: a plain message`);
    t.match(res.body, '<a href="#submit">', `${what}: the summary points at the button`);
    t.match(res.body, `>${VALID_REPORT.description}</textarea>`, `${what}: the description kept`);
    t.match(res.body, 'value="村会计王某"', `${what}: the subject kept`);
    t.match(res.body, /<input type="text" id="website" name="website" value=""/, `${what}: the honeypot empty again`);
    const fresh = tokenFrom(res.body);
    t.not(fresh, fields.token, `${what}: a fresh token`);
    // Pressing submit again on that page goes through.
    const again = await post({ ...fields, website: '', token: fresh });
    t.equal(again.statusCode, 200, `${what}: the second press is stored`);
    codeFrom(again.body);
  }
  t.equal(await count(), cases.length, 'one report per second press, none from the first');
});

t.test('API: an Idempotency-Key makes a retry return the same code', async (t) => {
  const { app, count } = await setup(t);
  const submit = (key: string | undefined, body: object = VALID_REPORT) =>
    app.inject({ method: 'POST', url: '/api/v1/reports', headers: key ? { 'idempotency-key': key } : {}, payload: body });
  const key = 'retry-key-0123456789abcdef';
  const first = await submit(key);
  t.equal(first.statusCode, 201);
  const retry = await submit(key);
  t.equal(retry.statusCode, 200, 'a replay is 200, not 201');
  t.equal(retry.json().code, first.json().code);
  t.equal(retry.json().submittedAt, first.json().submittedAt);
  t.equal(await count(), 1, 'one row');

  const changed = await submit(key, { ...VALID_REPORT, category: 'funds' });
  t.equal(changed.statusCode, 201, 'the same key with another body is a new report');
  t.not(changed.json().code, first.json().code);
  t.equal(await count(), 2);

  const concurrent = await Promise.all([1, 2, 3].map(() => submit('concurrent-key-0123456789')));
  t.same(concurrent.map((r) => r.statusCode).sort(), [200, 200, 201]);
  t.equal(new Set(concurrent.map((r) => r.json().code)).size, 1);
  t.equal(await count(), 3);

  const a = await submit(undefined);
  const b = await submit(undefined);
  t.same([a.statusCode, b.statusCode], [201, 201]);
  t.not(a.json().code, b.json().code, 'without a key each request is a new report');
  t.equal((await submit('too-short')).statusCode, 201);
  t.equal((await submit('too-short')).statusCode, 201, 'an invalid key is ignored, not trusted');
  t.equal(await count(), 7);
});
