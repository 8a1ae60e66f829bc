import t from 'tap';
import { addWorkingDays, chinaDate } from '../../src/calendar/work-calendar.js';
import type { LeadRules } from '../../src/leads/deadlines.js';
import { makeReportInputSchema } from '../../src/reports/schema.js';
import { reportKeys } from '../../src/reports/service.js';
import { submitIntake, submitReport } from '../../src/reports/submit.js';
import { addStaff } from '../support/staff.js';
import { calendar, campaign, TEST_SECRET, testApp, VALID_REPORT } from '../support/app.js';

// The first deadline is the service's to work out, from the calendar and the campaign: no caller
// passes one in.
const rules: LeadRules = { calendar, deadlines: campaign.deadlines, leadership: campaign.leadership };
const keys = reportKeys(TEST_SECRET);
const schema = makeReportInputSchema(() => campaign.villages.map((v) => v.id));
const leader = campaign.leadership[0]!.name;

t.test('submitReport gives a new report its first deadline: acceptance, or passing it up when it names the leadership', async (t) => {
  const { database } = await testApp(t);
  const db = database.db;
  const plain = await submitReport(db, keys, rules, schema.parse(VALID_REPORT), {});
  const named = await submitReport(db, keys, rules, schema.parse({ ...VALID_REPORT, subject: leader }), {});
  const row = (id: string) => db.selectFrom('reports').select(['due_on', 'upward']).where('id', '=', id).executeTakeFirstOrThrow();
  const today = chinaDate(new Date());
  t.same(await row(plain.id), { due_on: addWorkingDays(calendar, today, campaign.deadlines.acceptWorkingDays), upward: false });
  t.same(await row(named.id), { due_on: addWorkingDays(calendar, today, campaign.deadlines.transferWorkingDays), upward: true });
});

t.test('submitIntake counts from the day the lead was received', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const clerk = await addStaff(ta, 'clerk1', 'clerk');
  const receivedAt = new Date('2026-02-10T12:00:00+08:00');
  const r = await submitIntake(db, { userId: clerk.id, role: 'clerk' }, keys, rules, schema.parse(VALID_REPORT), { channel: 'letter', receivedAt });
  const row = await db.selectFrom('reports').select(['due_on', 'upward', 'recorded_by']).where('id', '=', r.id).executeTakeFirstOrThrow();
  t.same(row, { due_on: addWorkingDays(calendar, '2026-02-10', campaign.deadlines.acceptWorkingDays), upward: false, recorded_by: clerk.id });
});
