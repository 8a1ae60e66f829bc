import Handlebars from 'handlebars';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { currentMonth } from '../../../src/reports/schema.js';
import { FORM, formBody, testApp, VALID_REPORT, withFormToken } from '../../support/app.js';

// The HTML form's validation: every bad input gets the same form back (400) in the reporter's
// language, the error beside the field and in the summary, and what they typed kept (escaped).

const catalogs = loadCatalogs();
const zh = translator(catalogs['zh-CN']);
const en = translator(catalogs.en);
const esc = (s: string) => Handlebars.escapeExpression(s);
const ENV = { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '10000' };
const FIELDSETS = new Set(['category', 'identity']);

// One app and database for the file; each test counts the rows it added itself.
async function setup(t: Test) {
  const { app, database } = await testApp(t, { env: ENV });
  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/report', headers: { ...FORM, ...headers }, payload: formBody(withFormToken(fields)) });
  const total = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM reports`.execute(database.db)).rows[0]!.n);
  /** Rows stored since this call. */
  const counter = async () => {
    const start = await total();
    return async () => (await total()) - start;
  };
  const lastRow = () => database.db.selectFrom('reports').selectAll().select(sql<string>`period_month::text`.as('period')).orderBy('id', 'desc').executeTakeFirstOrThrow();
  return { app, post, counter, lastRow };
}
const { app, post, counter, lastRow } = await setup(t);

/** The fields that have an error message beside them. */
const errorFields = (html: string) => [...html.matchAll(/ id="(\w+)-error"/g)].map((m) => m[1]!);

/** A 400 re-rendering the form with exactly this error, beside the field and in the summary. */
function expectError(t: Test, res: { statusCode: number; body: string }, field: string, message: string, lang = 'zh-CN') {
  t.equal(res.statusCode, 400, `${field}: 400`);
  t.match(res.body, `<html lang="${lang}">`, `${field}: in ${lang}`);
  t.match(res.body, '<form method="post" action="/report"', `${field}: the form again`);
  t.same(errorFields(res.body), [field], `${field}: the only field marked`);
  t.match(res.body, new RegExp(`id="${field}-error"><span class="visually-hidden">[^<]+</span>${escRe(esc(message))}</p>`), `${field}: message beside it`);
  // The summary names the field (issue 15: "Please fill this in" alone did not say which).
  const label = catalogs[lang as 'zh-CN' | 'en'][`form.fields.${field}`];
  t.ok(label, `${field}: has a name in ${lang}`);
  const colon = catalogs[lang as 'zh-CN' | 'en']['punct.colon'];
  t.match(res.body, `<li><a href="#${field}"><span class="error-field">${esc(label ?? '')}${esc(colon ?? '')}</span>${esc(message)}</a></li>`, `${field}: summary link naming the field`);
  t.match(res.body, new RegExp(`\\sid="${field}"[\\s>]`), `${field}: the link target exists`);
  if (FIELDSETS.has(field)) {
    t.match(res.body, `<fieldset class="field has-error" id="${field}" aria-describedby="${field}-error">`);
  } else {
    const control = new RegExp(`<(input|select|textarea)\\b[^>]*\\bid="${field}"[^>]*>`).exec(res.body)?.[0] ?? '';
    t.match(control, 'aria-invalid="true"', `${field}: aria-invalid`);
    t.match(control, new RegExp(`aria-describedby="[^"]*\\b${field}-error\\b`), `${field}: described by its error`);
  }
}
const escRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const textarea = (html: string) => /<textarea id="description"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1];
const inputValue = (html: string, id: string) => new RegExp(`<input type="text" id="${id}" name="${id}" value="([^"]*)"`).exec(html)?.[1];

t.test('category: missing or not one of the four', async (t) => {
  const count = await counter();
  const res = await post({ description: VALID_REPORT.description, subject: '村会计' });
  expectError(t, res, 'category', zh('errors.category.required'));
  t.equal(textarea(res.body), esc(VALID_REPORT.description), 'description kept');
  t.equal(inputValue(res.body, 'subject'), '村会计', 'subject kept');
  const unknown = await post({ ...VALID_REPORT, category: 'bribery' });
  expectError(t, unknown, 'category', zh('errors.category.required'));
  t.notMatch(unknown.body, /name="category" value="\w+" checked/, 'no category checked');
  const english = await post({ description: VALID_REPORT.description }, { 'accept-language': 'en' });
  expectError(t, english, 'category', en('errors.category.required'), 'en');
  t.match(english.body, 'Choose the type of problem');
  t.equal(await count(), 0);
});

t.test('typical form must belong to the category; village must be on the list', async (t) => {
  const count = await counter();
  const res = await post({ ...VALID_REPORT, category: 'funds', typicalForm: 'fees', village: 'gulu' });
  expectError(t, res, 'typicalForm', zh('errors.typicalForm.mismatch'));
  t.match(res.body, 'name="category" value="funds" checked', 'category kept');
  t.match(res.body, '<option value="fees" selected>', 'typical form kept');
  t.match(res.body, '<option value="gulu" selected>', 'village kept');
  expectError(t, await post({ ...VALID_REPORT, typicalForm: 'made-up' }), 'typicalForm', zh('errors.typicalForm.mismatch'));
  expectError(t, await post({ ...VALID_REPORT, village: 'atlantis' }), 'village', zh('errors.village.unknown'));
  expectError(t, await post({ ...VALID_REPORT, village: 'atlantis' }, { cookie: 'lang=en' }), 'village', en('errors.village.unknown'), 'en');
  t.equal(await count(), 0);
  t.equal((await post({ ...VALID_REPORT, village: 'other', typicalForm: 'fees' })).statusCode, 200, '"other" village accepted');
});

t.test('description: 10 to 5,000 characters, counted as characters', async (t) => {
  const count = await counter();
  const tooShort = (length: number) => zh('errors.text.tooShort', { min: 10, length });
  const tooLong = (length: number) => zh('errors.text.tooLong', { max: 5000, length });
  expectError(t, await post({ category: 'duty', description: '' }), 'description', zh('errors.required'));
  expectError(t, await post({ category: 'duty', description: '   \n  ' }), 'description', zh('errors.required'));
  const nine = await post({ category: 'duty', description: '汉'.repeat(9) });
  expectError(t, nine, 'description', tooShort(9));
  t.match(nine.body, '请至少写 10 个字（现在 9 个）');
  t.equal(textarea(nine.body), '汉'.repeat(9), 'kept');
  expectError(t, await post({ category: 'duty', description: `  ${'汉'.repeat(9)}  ` }), 'description', tooShort(9));
  const english = await post({ category: 'duty', description: 'too short' }, { 'accept-language': 'en-US,en;q=0.9' });
  expectError(t, english, 'description', en('errors.text.tooShort', { min: 10, length: 9 }), 'en');
  t.match(english.body, 'Please write at least 10 characters (you have 9)');
  expectError(t, await post({ category: 'duty', description: '汉'.repeat(5001) }), 'description', tooLong(5001));
  expectError(t, await post({ category: 'duty', description: '😀'.repeat(5001) }), 'description', tooLong(5001));
  t.equal(await count(), 0);

  for (const description of ['汉'.repeat(10), '汉'.repeat(5000), '😀'.repeat(5000), `${'😀'.repeat(4999)}汉`]) {
    const res = await post({ category: 'duty', description });
    t.equal(res.statusCode, 200, `${[...description].length} characters (${Buffer.byteLength(description)} bytes) accepted`);
    t.equal((await lastRow()).description, description, 'stored as typed');
  }
  t.equal(await count(), 4);
});

t.test('subject: at most 200 characters', async (t) => {
  const count = await counter();
  const long = '张'.repeat(201);
  const res = await post({ ...VALID_REPORT, subject: long });
  expectError(t, res, 'subject', zh('errors.text.tooLong', { max: 200, length: 201 }));
  t.equal(inputValue(res.body, 'subject'), long, 'kept');
  t.equal((await post({ ...VALID_REPORT, subject: '张'.repeat(200) })).statusCode, 200);
  t.equal(await count(), 1);
});

t.test('period: year and month together, since 2017, not in the future', async (t) => {
  const count = await counter();
  const invalid = zh('errors.period.invalid');
  expectError(t, await post({ ...VALID_REPORT, periodYear: '2023' }), 'periodYear', invalid);
  expectError(t, await post({ ...VALID_REPORT, periodMonth: '6' }), 'periodYear', invalid);
  expectError(t, await post({ ...VALID_REPORT, periodYear: '2023', periodMonth: '13' }), 'periodYear', invalid);
  expectError(t, await post({ ...VALID_REPORT, periodYear: '2016', periodMonth: '12' }), 'periodYear', zh('errors.period.tooEarly', { year: 2017 }));
  const now = currentMonth();
  const next = now.month === 12 ? { year: now.year + 1, month: 1 } : { year: now.year, month: now.month + 1 };
  const future = await post({ ...VALID_REPORT, periodYear: String(next.year), periodMonth: String(next.month) });
  expectError(t, future, 'periodYear', zh('errors.period.future'));
  const kept = await post({ ...VALID_REPORT, category: '', periodYear: '2023', periodMonth: '6' });
  t.match(kept.body, '<option value="2023" selected>', 'year kept');
  t.match(kept.body, '<option value="6" selected>', 'month kept');
  t.equal(await count(), 0);

  t.equal((await post({ ...VALID_REPORT, periodYear: String(now.year), periodMonth: String(now.month) })).statusCode, 200, 'this month');
  t.equal((await post({ ...VALID_REPORT, periodYear: '２０２３', periodMonth: '６' })).statusCode, 200, 'full-width digits');
  t.equal((await lastRow()).period, '2023-06-01');
});

t.test('amount: digits in any width; separators and 元 ignored', async (t) => {
  const count = await counter();
  for (const [typed, key] of [
    ['-500', 'errors.amount.negative'],
    ['－５００', 'errors.amount.negative'],
    ['五百元', 'errors.amount.invalid'],
    ['abc', 'errors.amount.invalid'],
    ['12.345', 'errors.amount.invalid'],
    ['100000000000', 'errors.amount.tooLarge'],
  ] as const) {
    const res = await post({ ...VALID_REPORT, amount: typed });
    expectError(t, res, 'amount', zh(key));
    t.equal(inputValue(res.body, 'amount'), typed, `${typed} kept`);
  }
  t.equal(await count(), 0);
  for (const [typed, stored] of [['１２３', '123.00'], ['1,234.50 元', '1234.50'], ['5 000元', '5000.00'], ['99999999999', '99999999999.00']] as const) {
    t.equal((await post({ ...VALID_REPORT, amount: typed })).statusCode, 200, typed);
    t.equal((await lastRow()).amount_yuan, stored);
  }
});

t.test('real name: name and a valid phone, only when chosen', async (t) => {
  const count = await counter();
  const none = await post({ ...VALID_REPORT, identity: 'real' });
  t.equal(none.statusCode, 400);
  t.same(errorFields(none.body).sort(), ['name', 'phone']);
  t.match(none.body, `<li><a href="#name"><span class="error-field">姓名：</span>${esc(zh('errors.required'))}</a></li>`);
  t.match(none.body, `<li><a href="#phone"><span class="error-field">联系电话：</span>${esc(zh('errors.phone.invalid'))}</a></li>`);
  const english = await post({ ...VALID_REPORT, identity: 'real' }, { 'accept-language': 'en' });
  t.match(english.body, `<li><a href="#name"><span class="error-field">Name: </span>${esc(en('errors.required'))}</a></li>`, 'English: "Please fill this in" says which field');
  t.match(english.body, `<li><a href="#phone"><span class="error-field">Phone number: </span>`);
  t.match(none.body, 'name="identity" value="real" checked', 'choice kept');
  const bad = await post({ ...VALID_REPORT, identity: 'real', name: '李四', phone: '12345' });
  expectError(t, bad, 'phone', zh('errors.phone.invalid'));
  t.equal(inputValue(bad.body, 'name'), '李四');
  t.equal(inputValue(bad.body, 'phone'), '12345');
  expectError(t, await post({ ...VALID_REPORT, identity: 'real', name: 'Li', phone: '1381234' }, { 'accept-language': 'en' }), 'phone', en('errors.phone.invalid'), 'en');
  t.equal(await count(), 0);
  const phones = ['138 1234 5678', '138-1234-5678', '１３８１２３４５６７８', '+86 138 1234 5678', '023-67166106', '67166106'];
  for (const phone of phones) {
    t.equal((await post({ ...VALID_REPORT, identity: 'real', name: '李四', phone })).statusCode, 200, phone);
    const row = await lastRow();
    t.ok(row.real_name && row.identity_sealed, `${phone}: stored sealed`);
  }
  t.equal(await count(), phones.length);
});

t.test('a name or phone typed while anonymous is an error, and nothing is stored', async (t) => {
  const count = await counter();
  const conflict = zh('errors.identity.conflict');
  const res = await post({ ...VALID_REPORT, identity: 'anonymous', name: '王五', phone: '13812345678' });
  expectError(t, res, 'identity', conflict);
  t.equal(inputValue(res.body, 'name'), '王五', 'shown back so it can be deleted');
  t.match(res.body, 'name="identity" value="anonymous" checked');
  expectError(t, await post({ ...VALID_REPORT, phone: '13812345678' }), 'identity', conflict);
  expectError(t, await post({ ...VALID_REPORT, name: 'Wang' }, { 'accept-language': 'en' }), 'identity', en('errors.identity.conflict'), 'en');
  t.equal(await count(), 0, 'not stored');
  t.equal((await post({ ...VALID_REPORT, identity: 'anonymous', name: '  ', phone: '' })).statusCode, 200, 'blank fields are no conflict');
});

t.test('invisible characters: a clear error, and the field shown without them', async (t) => {
  const count = await counter();
  const invisible = zh('errors.text.invisible');
  const clean = VALID_REPORT.description;
  for (const ch of ['\u200B', '\u202E', '\u0007']) {
    const res = await post({ ...VALID_REPORT, description: `${clean.slice(0, 5)}${ch}${clean.slice(5)}${ch}` });
    expectError(t, res, 'description', invisible);
    t.equal(textarea(res.body), clean, `U+${ch.codePointAt(0)!.toString(16).padStart(4, '0')} removed from the field`);
    t.notOk(res.body.includes(ch), 'and from the whole page');
  }
  const subject = await post({ ...VALID_REPORT, subject: '\u202Eevil\u202C' }, { 'accept-language': 'en' });
  expectError(t, subject, 'subject', en('errors.text.invisible'), 'en');
  t.equal(inputValue(subject.body, 'subject'), 'evil');
  t.equal(await count(), 0);
  t.equal((await post({ ...VALID_REPORT, description: textarea((await post({ ...VALID_REPORT, description: `${clean}\u200B` })).body)! })).statusCode, 200, 'the cleaned text is accepted');
  t.equal((await lastRow()).description, clean);
});

t.test('invalid UTF-8 in the body: a clear error', async (t) => {
  const count = await counter();
  const payload = `category=integrity&description=${encodeURIComponent('村干部收了协调费')}%FF%FE${encodeURIComponent('五百元')}`;
  const res = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload });
  expectError(t, res, 'description', zh('errors.text.undecodable'));
  t.equal(await count(), 0);
});

t.test('HTML typed into fields is stored as typed and always shown escaped', async (t) => {
  const count = await counter();
  const subject = '"><script>alert(1)</script>';
  const description = `<img src=x onerror="alert('x')"> & 村干部 <b>收钱</b> \`${'x'.repeat(5)}\``;
  const res = await post({ subject, description, amount: '<svg onload=alert(1)>' });
  t.equal(res.statusCode, 400);
  t.notMatch(res.body, /<script>alert|<img src=x|<svg onload|<b>收钱/, 'nothing typed is live markup');
  t.equal(inputValue(res.body, 'subject'), esc(subject));
  t.equal(textarea(res.body), esc(description));
  t.match(res.body, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.equal(await count(), 0);
  t.equal((await post({ category: 'integrity', subject, description })).statusCode, 200);
  const row = await lastRow();
  t.equal(row.subject, subject, 'stored exactly as typed');
  t.equal(row.description, description);
  t.equal(await count(), 1);
});

t.test('a description of several lines comes back line for line, and is stored so when sent again', async (t) => {
  const count = await counter();
  // The textarea sits in a partial written indented ({{> report-fields}}): Handlebars once
  // indented each of its lines, so every re-shown line after the first gained two spaces.
  const description = '村干部收了协调费，\n每户五百元。\n  这一行本来就有两个空格。';
  const res = await post({ description });
  expectError(t, res, 'category', zh('errors.category.required'));
  t.equal(textarea(res.body), description, 'every line as typed');
  t.equal((await post({ ...VALID_REPORT, description: textarea(res.body)! })).statusCode, 200, 'sent again as shown');
  t.equal((await lastRow()).description, description, 'stored as first typed');
  t.equal(await count(), 1);
});
