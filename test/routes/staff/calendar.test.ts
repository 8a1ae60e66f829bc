import t from 'tap';
import { testApp, VALID_REPORT } from '../../support/app.js';
import { signIn } from '../../support/staff.js';

t.test('admins enter next year\'s holidays; deadlines follow at once; every change audited', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const next = Number(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date())) + 1;
  const page = await admin.get('/staff/calendar');
  t.equal(page.statusCode, 200);
  t.match(page.body, `${next} 年的放假安排尚未录入`, 'warns that next year is missing');
  t.equal((await admin.post('/staff/calendar', { day: `${next}-02-08`, kind: 'holiday', note: '春节' })).statusCode, 303);
  t.equal((await admin.post('/staff/calendar', { day: '2026-02-14', kind: 'holiday', note: '更正' })).statusCode, 303, 'a correction of a shipped day');
  const after = await admin.get('/staff/calendar');
  t.notMatch(after.body, `${next} 年的放假安排尚未录入`);
  t.match(after.body, '春节');
  // A letter received on Tue 10 Feb 2026: with 14 Feb now a day off, 15 working days end a day later.
  const letter = await admin.post('/staff/intake', { ...VALID_REPORT, channel: 'letter', receivedOn: '2026-02-10' });
  t.equal(letter.statusCode, 200);
  const lead = await ta.database.db.selectFrom('reports').select('due_on').executeTakeFirstOrThrow();
  t.equal(lead.due_on, '2026-03-10');
  t.equal((await admin.post('/staff/calendar/remove', { day: '2026-02-14' })).statusCode, 303);
  const bad = await admin.post('/staff/calendar', { day: '2027-13-01', kind: 'nap' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'id="day-error"');
  t.match(bad.body, 'id="kind-error"');
  const audit = (await ta.database.db.selectFrom('audit_log').select('action').where('action', 'like', 'calendar.%').execute()).map((r) => r.action);
  t.same(audit, ['calendar.set', 'calendar.set', 'calendar.remove']);
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.get('/staff/calendar')).statusCode, 403);
  t.equal((await inv.post('/staff/calendar', { day: '2027-02-09', kind: 'holiday' })).statusCode, 403);
});
