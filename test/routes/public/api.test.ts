import t, { type Test } from 'tap';
import { CODE_LENGTH, generateCode } from '../../../src/lib/codes.js';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { CATEGORIES } from '../../../src/reports/schema.js';
import { reportKeys } from '../../../src/reports/service.js';
import { unseal } from '../../../src/lib/seal.js';
import { campaign, TEST_SECRET, testApp, VALID_REPORT } from '../../support/app.js';

const catalogs = loadCatalogs();
const zh = translator(catalogs['zh-CN']);
const en = translator(catalogs.en);
const ENV = { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000', RATE_LIMIT_LOOKUPS_PER_15_MIN: '1000', RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '1000' };
const HOTLINE = campaign.hotlines[0]!.number;

async function setup(t: Test) {
  const { app, database } = await testApp(t, { env: ENV });
  const submit = (body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/reports', headers, payload: body as object });
  const status = (code: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/status', headers, payload: { code } });
  return { app, db: database.db, submit, status };
}

/** Changes one digit: the Damm check digit catches every such typo. */
const typo = (code: string) => `${code.slice(0, 3)}${(Number(code[3]) + 1) % 10}${code.slice(4)}`;

t.test('POST /api/v1/reports stores a report and returns its code once', async (t) => {
  const { submit, db } = await setup(t);
  const before = Date.now();
  const res = await submit({ ...VALID_REPORT, typicalForm: 'fees', village: 'gulu', period: '2023-06', amount: 500, subject: '村主任' });
  t.equal(res.statusCode, 201);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = res.json();
  t.same(Object.keys(body).sort(), ['code', 'status', 'submittedAt']);
  t.match(body.code, /^\d{4}( \d{4}){4}$/, 'five groups of four digits');
  t.equal(body.status, 'received');
  t.equal(new Date(body.submittedAt).toISOString(), body.submittedAt, 'ISO 8601');
  t.equal(Date.parse(body.submittedAt), Math.floor(before / 3_600_000) * 3_600_000, 'submitted this hour, given to the hour');
  const rows = await db.selectFrom('reports').selectAll().execute();
  t.equal(rows.length, 1);
  t.match(rows[0], { category: 'integrity', typical_form: 'fees', village: 'gulu', subject: '村主任', amount_yuan: '500.00', real_name: false, identity_sealed: null });
  t.notOk(JSON.stringify(rows[0]).includes(body.code.replace(/ /g, '')), 'the code itself is not stored');
});

t.test('POST /api/v1/reports: 400 lists every failing field in the request language', async (t) => {
  const { submit, db } = await setup(t);
  const bad = {
    category: 'bribery',
    village: 'atlantis',
    description: 'short',
    period: '2016-01',
    amount: '-1',
    realName: { name: '', phone: '123' },
  };
  const expected = (tr: typeof zh) => [
    { field: 'category', code: 'category.required', message: tr('errors.category.required') },
    { field: 'village', code: 'village.unknown', message: tr('errors.village.unknown') },
    { field: 'description', code: 'text.tooShort', message: tr('errors.text.tooShort', { min: 10, length: 5 }) },
    { field: 'period', code: 'period.tooEarly', message: tr('errors.period.tooEarly', { year: 2017 }) },
    { field: 'amount', code: 'amount.negative', message: tr('errors.amount.negative') },
    { field: 'realName.name', code: 'required', message: tr('errors.required') },
    { field: 'realName.phone', code: 'phone.invalid', message: tr('errors.phone.invalid') },
  ];
  const byField = (fields: { field: string }[]) => [...fields].sort((a, b) => a.field.localeCompare(b.field));
  const zhRes = await submit(bad);
  t.equal(zhRes.statusCode, 400);
  t.equal(zhRes.json().error, 'validation');
  t.equal(zhRes.json().message, zh('errors.page.400.body'));
  t.same(byField(zhRes.json().fields), byField(expected(zh)));
  const enRes = await submit(bad, { 'accept-language': 'en-US,en;q=0.9' });
  t.same(byField(enRes.json().fields), byField(expected(en)));
  t.match(JSON.stringify(enRes.json().fields), 'Please write at least 10 characters (you have 5)');

  const missing = await submit({});
  t.same(missing.json().fields.map((f: { field: string }) => f.field).sort(), ['category', 'description']);
  const wrongTypes = await submit({ category: 'duty', description: 12345678901, realName: 'yes' }, { 'accept-language': 'en' });
  t.same(wrongTypes.json().fields.map((f: { field: string; code: string }) => [f.field, f.code]).sort(), [['description', 'text.type'], ['realName', 'realName.invalid']]);
  t.equal((await submit({ ...VALID_REPORT, realName: { name: '张三', phone: '138' } })).json().fields[0].field, 'realName.phone');
  t.equal((await db.selectFrom('reports').select('id').execute()).length, 0, 'nothing stored');
});

t.test('a real name is stored sealed, never in plain text', async (t) => {
  const { submit, db } = await setup(t);
  const realName = { name: '张三丰', phone: '+86 138-1234-5678' };
  const res = await submit({ ...VALID_REPORT, realName });
  t.equal(res.statusCode, 201);
  const row = await db.selectFrom('reports').selectAll().executeTakeFirstOrThrow();
  t.equal(row.real_name, true);
  const sealed = row.identity_sealed!;
  t.ok(Buffer.isBuffer(sealed) && sealed.length > 28, 'nonce, tag and ciphertext');
  for (const plain of ['张三丰', '13812345678', '138-1234-5678', '1234', JSON.stringify(realName)]) {
    t.equal(sealed.indexOf(Buffer.from(plain, 'utf8')), -1, `${plain} not in the stored bytes`);
  }
  t.same(JSON.parse(unseal(reportKeys(TEST_SECRET).identity, sealed)), { name: '张三丰', phone: '13812345678' }, 'opens with the identity key');
  t.throws(() => unseal(reportKeys(TEST_SECRET).receipt, sealed), 'and with no other key');
});

t.test('POST /api/v1/status shows the public status and the updates written for the reporter', async (t) => {
  const { submit, status, db } = await setup(t);
  const code: string = (await submit(VALID_REPORT)).json().code;
  const res = await status(code);
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(Object.keys(body).sort(), ['files', 'merged', 'status', 'statusChangedAt', 'statusLabel', 'submittedAt', 'updates']);
  t.match(body, { status: 'received', statusLabel: zh('statuses.received.label'), updates: [] });
  t.equal(new Date(body.submittedAt).toISOString(), body.submittedAt);
  t.equal(new Date(body.statusChangedAt).toISOString(), body.statusChangedAt);
  t.equal((await status(code, { 'accept-language': 'en' })).json().statusLabel, en('statuses.received.label'));

  const { id } = await db.selectFrom('reports').select('id').executeTakeFirstOrThrow();
  await db.updateTable('reports').set({ status: 'verifying', status_changed_at: new Date('2023-07-03T02:00:00Z') }).execute();
  await db.insertInto('report_updates').values([
    { report_id: id, body: '已受理，正在核查。<b>不是标记</b>', created_at: new Date('2023-07-03T02:00:00Z') },
    { report_id: id, body: '已约谈村会计。', created_at: new Date('2023-07-10T08:30:00Z') },
  ]).execute();
  const after = (await status(code)).json();
  t.equal(after.status, 'verifying');
  t.equal(after.statusLabel, zh('statuses.verifying.label'));
  t.equal(after.statusChangedAt, '2023-07-03T02:00:00.000Z');
  t.same(after.updates, [
    { body: '已受理，正在核查。<b>不是标记</b>', createdAt: '2023-07-03T02:00:00.000Z' },
    { body: '已约谈村会计。', createdAt: '2023-07-10T08:30:00.000Z' },
  ], 'in order, as written');
});

t.test('POST /api/v1/status: typed codes, typos and unknown codes', async (t) => {
  const { submit, status } = await setup(t);
  const code: string = (await submit(VALID_REPORT)).json().code;
  const digits = code.replace(/ /g, '');
  const fullWidth = [...digits].map((d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).join('');
  for (const typed of [code, digits, code.replace(/ /g, '-'), ` ${code.replace(/ /g, '  ')} `, fullWidth, code.replace(/ /g, '－')]) {
    t.equal((await status(typed)).statusCode, 200, JSON.stringify(typed));
  }

  const notFound = await status(generateCode());
  t.equal(notFound.statusCode, 404);
  t.same(notFound.json(), { error: 'not_found', message: zh('status.notFound'), hotline: HOTLINE });
  t.equal((await status(generateCode(), { 'accept-language': 'en' })).json().message, en('status.notFound'));

  const mistyped = await status(typo(digits));
  t.equal(mistyped.statusCode, 400, 'a typo is not "not found"');
  t.same(mistyped.json().fields, [{ field: 'code', code: 'code.checkDigit', message: zh('errors.code.checkDigit') }]);
  const short = await status(digits.slice(0, CODE_LENGTH - 1), { 'accept-language': 'en' });
  t.equal(short.statusCode, 400);
  t.same(short.json().fields, [{ field: 'code', code: 'code.format', message: en('errors.code.format') }]);
  const empty = await status('');
  t.equal(empty.statusCode, 400);
  t.equal(empty.json().fields[0].code, 'code.required');
  t.equal((await status('1'.repeat(101))).json().fields[0].code, 'code.format');
});

t.test('GET /api/v1/openapi.json describes the API from the same schemas', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/api/v1/openapi.json');
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.match(doc.openapi, /^3\.0\.\d+$/);
  t.ok(doc.paths['/api/v1/reports']?.post, 'report submission');
  t.ok(doc.paths['/api/v1/status']?.post, 'status lookup');
  const schema = doc.paths['/api/v1/reports'].post.requestBody.content['application/json'].schema;
  t.same(schema.properties.category.enum, [...CATEGORIES]);
  t.same([...schema.required].sort(), ['category', 'description']);
  t.ok(schema.properties.realName?.properties?.phone, 'real name is described');
  t.notMatch(JSON.stringify(doc), /"\$schema"|"const"/, 'no JSON Schema 2020 keywords OpenAPI 3.0 lacks');
  t.ok(doc.paths['/api/v1/reports'].post.responses['201'] && doc.paths['/api/v1/status'].post.responses['404']);
});

t.test('GET /healthz answers while the database does', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/healthz');
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
});
