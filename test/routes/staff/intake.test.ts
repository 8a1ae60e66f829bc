import { sql } from 'kysely';
import t from 'tap';
import { rowCounts, testApp, VALID_REPORT } from '../../support/app.js';
import { signIn } from '../../support/staff.js';

const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

t.test('a clerk records a phone lead and reads the code to the caller, who can follow it on the web', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const form = await clerk.get('/staff/intake');
  t.equal(form.statusCode, 200);
  const token = /name="token" value="([^"]+)"/.exec(form.body)![1]!;
  const fields = { ...VALID_REPORT, token, channel: 'hotline', receivedOn: today(), village: 'wuniu' };
  const res = await clerk.post('/staff/intake', fields);
  t.equal(res.statusCode, 200);
  const code = /id="tracking-code">([\d ]+)</.exec(res.body)![1]!;
  const again = await clerk.post('/staff/intake', fields);
  t.match(again.body, code, 'a double click shows the same code');
  const rows = await ta.database.db.selectFrom('reports').selectAll().execute();
  t.equal(rows.length, 1, 'and records one lead');
  t.equal(rows[0]!.channel, 'hotline');
  t.equal(rows[0]!.recorded_by, clerk.userId);
  const events = await ta.database.db.selectFrom('report_events').select('kind').execute();
  t.same(events.map((e) => e.kind), ['intake']);
  const status = await ta.app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } });
  t.equal(status.json().status, 'received');
  const home = await clerk.get('/staff');
  t.equal(home.statusCode, 200);
  t.match(home.body, '已收到，等待受理', 'the clerk sees the status of what they recorded');
  t.notMatch(home.body, VALID_REPORT.description.slice(0, 8), 'but not its content');
  const audit = await ta.database.db.selectFrom('audit_log').select('action').where('action', '=', 'lead.intake').execute();
  t.equal(audit.length, 1);
});

t.test('the same validation as the public form, plus channel and date', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const res = await clerk.post('/staff/intake', { category: 'nope', description: '短', channel: 'web', receivedOn: '2099-01-01', amount: '-5' });
  t.equal(res.statusCode, 400);
  for (const field of ['category', 'description', 'channel', 'receivedOn', 'amount']) t.match(res.body, `id="${field}-error"`, field);
  t.equal((await ta.database.db.selectFrom('reports').select('id').execute()).length, 0);
  const viewer = await signIn(ta, 'viewer');
  t.equal((await viewer.get('/staff/intake')).statusCode, 403, 'viewers do not record leads');
  t.equal((await viewer.post('/staff/intake', { ...VALID_REPORT, channel: 'letter', receivedOn: today() })).statusCode, 403);
});

t.test('a letter received earlier gets its deadline from the day it arrived', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator');
  const res = await inv.post('/staff/intake', { ...VALID_REPORT, channel: 'letter', receivedOn: '2026-02-10' });
  t.equal(res.statusCode, 200);
  const row = await ta.database.db.selectFrom('reports').select(['due_on', 'received_at']).executeTakeFirstOrThrow();
  t.equal(row.due_on, '2026-03-09', '15 working days across the Spring Festival');
});

t.test('a lead and its intake record are stored together or not at all', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const db = ta.database.db;
  // The audit log refuses the intake's row for the length of this test: the lead must go with it.
  await sql`CREATE FUNCTION refuse_intake_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.action = 'lead.intake' THEN RAISE EXCEPTION 'intake audit refused'; END IF; RETURN NEW; END $$`.execute(db);
  await sql`CREATE TRIGGER refuse_intake_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_intake_audit()`.execute(db);
  const before = await rowCounts(db);
  const fields = { ...VALID_REPORT, channel: 'letter', receivedOn: today(), token: 'intake-atomicity-token-0001' };
  const res = await clerk.post('/staff/intake', fields);
  t.equal(res.statusCode, 500);
  t.same(await rowCounts(db), before, 'no report, event, receipt or notice is left behind');
  t.equal((await db.selectFrom('reports').select('id').execute()).length, 0);
  await sql`DROP TRIGGER refuse_intake_audit ON audit_log`.execute(db);
  await sql`DROP FUNCTION refuse_intake_audit()`.execute(db);
  const again = await clerk.post('/staff/intake', fields);
  t.equal(again.statusCode, 200, 'the same page stores the lead once the log takes rows again');
  t.notMatch(again.body, '没有重复登记', 'as a new lead, not a replay of a half-stored one');
  const events = await db.selectFrom('report_events').select('kind').execute();
  t.same(events.map((e) => e.kind), ['intake']);
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'lead.intake').execute()).length, 1);
});
