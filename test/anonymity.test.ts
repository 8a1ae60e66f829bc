import { createHash } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import t from 'tap';
import { formatCode, generateCode, hashCode } from '../src/lib/codes.js';
import { reportKeys } from '../src/reports/service.js';
import { unseal } from '../src/lib/seal.js';
import { allStoredValues, codeFrom, findNeedles, FORM, formBody, testApp, TEST_SECRET, tokenFrom, VALID_REPORT } from './support/app.js';

// What a reporter leaves behind: nothing that points back at them. After real submissions and
// lookups, neither the database (every column of every table) nor the logs hold their address,
// their browser, or any tracking code; the codes are stored only as keyed hashes and a real name
// only encrypted.

const CLIENT = '203.0.113.77';
const FORWARDED = '198.51.100.23';
const AGENT = 'AnonymityProbe/9.9 (KaiOS; Nokia 8110 4G) Village-Phone-7Q';
const REAL_NAME = '王秀英';
const PHONE = '13912345678';
const MARKER = '检查标记：村会计收取拍照费二百元';
const MESSAGE = '检查标记：补充情况，村会计另收了盖章费五十元';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const ipHex = (ip: string) => Buffer.from(ip.split('.').map(Number)).toString('hex');

/** Every way a tracking code could be written down. */
const codeForms = (code: string) => [code, formatCode(code), code.replace(/(\d{4})(?=\d)/g, '$1-'), hex(code), hex(formatCode(code))];

for (const trustProxy of ['false', 'true']) {
  t.test(`nothing identifying is stored or logged (TRUST_PROXY=${trustProxy})`, async (t) => {
    const { app, database, logs } = await testApp(t, { env: { TRUST_PROXY: trustProxy, LOG_LEVEL: 'trace' } });
    const client = { 'user-agent': AGENT, 'x-forwarded-for': FORWARDED, 'x-real-ip': FORWARDED };
    const responses: LightMyRequestResponse[] = [];
    const send = async (opts: InjectOptions) => {
      const res = await app.inject({ remoteAddress: CLIENT, ...opts, headers: { ...client, ...opts.headers } });
      responses.push(res);
      return res;
    };

    const codes: string[] = [];
    const form = await send({ url: '/report' });
    const anonymous = await send({
      method: 'POST', url: '/report', headers: FORM,
      payload: formBody({ ...VALID_REPORT, description: MARKER, token: tokenFrom(form.body), village: 'gulu' }),
    });
    codes.push(codeFrom(anonymous.body));
    const named = await send({
      method: 'POST', url: '/report', headers: FORM,
      payload: formBody({ ...VALID_REPORT, identity: 'real', name: REAL_NAME, phone: PHONE, token: tokenFrom((await send({ url: '/report' })).body) }),
    });
    t.equal(named.statusCode, 200, 'a real-name report is accepted');
    codes.push(codeFrom(named.body));
    const keyed = await send({ method: 'POST', url: '/api/v1/reports', headers: { 'idempotency-key': 'anonymity-test-key-0001' }, payload: VALID_REPORT });
    const replay = await send({ method: 'POST', url: '/api/v1/reports', headers: { 'idempotency-key': 'anonymity-test-key-0001' }, payload: VALID_REPORT });
    t.equal(replay.json().code, keyed.json().code, 'a retry returns the same code');
    const plain = await send({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, category: 'funds' } });
    for (const res of [keyed, plain]) codes.push(res.json<{ code: string }>().code.replace(/ /g, ''));
    t.equal(new Set(codes).size, 4, 'four reports, four codes');

    // Each code is looked up (through the form and the API), and so is a code that does not exist.
    const missing = generateCode();
    for (const code of [...codes, missing]) {
      const page = await send({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code: formatCode(code) }) });
      const json = await send({ method: 'POST', url: '/api/v1/status', payload: { code } });
      t.equal(page.statusCode, code === missing ? 404 : 200);
      t.equal(json.statusCode, code === missing ? 404 : 200);
    }

    // Reporters write back by code: on the status page (the page's form holds a view token, never
    // the code) and through the API; a message with a code that does not exist is refused.
    const written = await send({ method: 'POST', url: '/status/messages', headers: FORM, payload: formBody({ code: formatCode(codes[0]!), text: MESSAGE }) });
    t.equal(written.statusCode, 200, 'a message through the status page');
    t.same(findNeedles([{ where: 'the page', text: written.body }], codeForms(codes[0]!)), [], 'the page that answers holds no code');
    const apiMessage = await send({ method: 'POST', url: '/api/v1/status/messages', payload: { code: codes[2], text: MESSAGE, kind: 'info' } });
    t.equal(apiMessage.statusCode, 201, 'a message through the API');
    const unknown = await send({ method: 'POST', url: '/status/messages', headers: FORM, payload: formBody({ code: missing, text: MESSAGE }) });
    t.equal(unknown.statusCode, 404);

    const needles = [
      CLIENT, FORWARDED, ipHex(CLIENT), ipHex(FORWARDED), AGENT, 'AnonymityProbe', hex(AGENT),
      REAL_NAME, hex(REAL_NAME), PHONE, hex(PHONE),
      ...[...codes, missing].flatMap(codeForms),
    ];
    const stored = await allStoredValues(database.db);
    t.same(findNeedles(stored, needles), [], 'no address, user agent, name, phone or code in any column of any table');
    t.ok(findNeedles(stored, [MARKER]).some((w) => w.includes('reports.description')), 'the search does read the stored data');
    t.equal(findNeedles(stored, [MESSAGE]).filter((w) => w.includes('report_messages.body')).length, 2, 'and the messages');
    t.ok(new Set(stored.map((s) => s.where.split('.')[0])).size >= 3, 'every table was searched');

    t.ok(logs.length > responses.length, 'requests were logged');
    t.same(findNeedles(logs.map((text, i) => ({ where: `log line ${i}`, text })), needles), [], 'nor in any log line');
    t.ok(logs.some((l) => l.includes('/api/v1/status')), 'the log search does read the log');
    t.ok(logs.some((l) => l.includes('/status/messages')), 'including the messages');

    // The code is never part of an address: no redirect carries it, no link or form action does.
    for (const res of responses) {
      t.equal(res.headers.location, undefined, 'no redirects at all');
      const urls = [...res.body.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]!);
      t.same(findNeedles(urls.map((u) => ({ where: u, text: u.replace(/%20|\+/g, ' ') })), [...codes, missing].flatMap(codeForms)), []);
    }
    for (const res of responses) for (const value of Object.values(res.headers)) {
      t.same(findNeedles([{ where: 'header', text: String(value) }], [...codes, missing].flatMap(codeForms)), []);
    }

    // Codes are kept only as HMAC-SHA256 under a key derived from APP_SECRET.
    const keys = reportKeys(TEST_SECRET);
    const rows = await database.db.selectFrom('reports').select(['code_hash', 'real_name', 'identity_sealed', 'description']).execute();
    t.equal(rows.length, 4);
    const hashes = rows.map((r) => r.code_hash.toString('hex'));
    for (const r of rows) t.equal(r.code_hash.length, 32, 'code_hash is 32 bytes');
    for (const code of codes) {
      t.ok(hashes.includes(hashCode(keys.code, code).toString('hex')), 'the keyed hash of each code is stored');
      for (const form of codeForms(code)) {
        t.notOk(hashes.includes(createHash('sha256').update(form).digest('hex')), 'not a plain SHA-256 anyone could recompute');
      }
    }
    t.notOk(hashes.includes(hashCode(reportKeys('another-secret-0123456789abcdef0123456789').code, codes[0]!).toString('hex')));

    // A real name is stored sealed: unreadable without the key, readable with it.
    const withName = rows.filter((r) => r.real_name);
    t.equal(withName.length, 1);
    const sealed = withName[0]!.identity_sealed!;
    t.notOk(sealed.toString('latin1').includes(PHONE));
    t.same(JSON.parse(unseal(keys.identity, sealed)), { name: REAL_NAME, phone: PHONE }, 'only the key opens it');
    t.ok(rows.filter((r) => !r.real_name).every((r) => r.identity_sealed === null), 'anonymous reports hold no identity at all');
  });
}

t.test('no stored or shown time of a reporter\'s act is finer than the hour', async (t) => {
  const ta = await testApp(t, { env: { RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '1000' } });
  const { app, database } = ta;
  const form = await app.inject({ url: '/report' });
  const page = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token: tokenFrom(form.body) }) });
  t.equal(page.statusCode, 200);
  const api = await app.inject({ method: 'POST', url: '/api/v1/reports', headers: { 'idempotency-key': 'coarse-times-key-00001' }, payload: VALID_REPORT });
  const code = api.json<{ code: string }>().code.replace(/ /g, '');
  await app.inject({ method: 'POST', url: '/api/v1/status/messages', payload: { code, text: MESSAGE, kind: 'info' } });
  const status = await app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } });

  const onTheHour = (iso: string) => /T\d\d:00:00\.000Z$/.test(iso);
  t.ok(onTheHour(api.json().submittedAt), `the API receipt: ${api.json().submittedAt}`);
  const shown = status.json<{ submittedAt: string; statusChangedAt: string; messages: { createdAt: string }[] }>();
  for (const iso of [shown.submittedAt, shown.statusChangedAt, ...shown.messages.map((m) => m.createdAt)]) t.ok(onTheHour(iso), `the API status: ${iso}`);

  const times = await sql<{ what: string; at: Date }>`
    SELECT 'reports.submitted_at' AS what, submitted_at AS at FROM reports
    UNION ALL SELECT 'reports.received_at', received_at FROM reports
    UNION ALL SELECT 'reports.status_changed_at', status_changed_at FROM reports WHERE status = 'received'
    UNION ALL SELECT 'submission_receipts.created_at', created_at FROM submission_receipts
    UNION ALL SELECT 'report_messages.created_at', created_at FROM report_messages
    UNION ALL SELECT 'mail_outbox.created_at', created_at FROM mail_outbox WHERE kind IN ('new_lead', 'follow_up')`.execute(database.db);
  t.ok(times.rows.length >= 8, `${times.rows.length} stored times`);
  for (const row of times.rows) t.equal(row.at.getTime() % 3_600_000, 0, `${row.what}: ${row.at.toISOString()}`);

  // Whoever writes the row (a psql session, a script), the database keeps it to the hour.
  const [lead] = await database.db.selectFrom('reports').select('id').limit(1).execute();
  await sql`UPDATE reports SET received_at = '2026-03-04 10:37:12.345+08' WHERE id = ${lead!.id}`.execute(database.db);
  const after = await database.db.selectFrom('reports').select('received_at').where('id', '=', lead!.id).executeTakeFirstOrThrow();
  t.equal(after.received_at.toISOString(), '2026-03-04T02:00:00.000Z', 'an exact time written by hand is kept to the hour');
});
