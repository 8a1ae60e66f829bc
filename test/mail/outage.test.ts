import t from 'tap';
import { enqueueFollowUpNotice } from '../../src/mail/repository.js';
import { testApp, VALID_REPORT, type TestApp } from '../support/app.js';
import { addUsualStaff, countByRecipient, releaseHeldNotices, testSmtp } from '../support/mail.js';

// An SMTP outage delays notices and loses none: failed attempts are retried with backoff, and when
// the server is back every notice arrives exactly once. The drain is driven directly, with a later
// "now" standing in for the backoff having passed.

const HOUR = 3_600_000;
const later = (hours: number) => new Date(Date.now() + hours * HOUR);

async function submit(ta: TestApp, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
    if (res.statusCode !== 201) throw new Error(`submission failed: ${res.statusCode}`);
  }
  await releaseHeldNotices(ta.database.db);
}

const pending = (ta: TestApp) =>
  ta.database.db.selectFrom('mail_outbox').selectAll().where('recipient_id', 'is not', null).where('sent_at', 'is', null).orderBy('id').execute();

t.test('SMTP down for the whole run, then up: every notice delivered exactly once', async (t) => {
  const smtp = await testSmtp(t, { started: false });
  const ta = await testApp(t, { env: smtp.env });
  const staff = await addUsualStaff(ta.database.db);
  await submit(ta, 3);
  const [lead] = await ta.database.db.selectFrom('reports').select('id').limit(1).execute();
  await ta.database.db.updateTable('reports').set({ assignee_id: staff.investigator.id }).where('id', '=', lead!.id).execute();
  await enqueueFollowUpNotice(ta.database.db, lead!.id);
  await releaseHeldNotices(ta.database.db);

  const down = await ta.app.mailer.drain();
  t.same(down, { sent: 0, failed: 3, gaveUp: 0 }, 'two new-lead notices and one follow-up, all failed');
  let rows = await pending(ta);
  t.equal(rows.length, 3, 'and all kept');
  for (const row of rows) {
    t.equal(row.attempts, 1);
    t.match(row.last_error, /ECONNECTION|ECONNREFUSED/, 'the error is recorded');
    t.ok(row.next_attempt_at! > new Date(Date.now() + 20_000), 'retried after a backoff, not at once');
  }
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 0, gaveUp: 0 }, 'nothing is retried before the backoff ends');

  const again = await ta.app.mailer.drain(later(1));
  t.same(again, { sent: 0, failed: 3, gaveUp: 0 }, 'still down an hour later');
  rows = await pending(ta);
  t.same(rows.map((r) => r.attempts), [2, 2, 2]);
  t.ok(rows.every((r) => r.next_attempt_at! > later(1)), 'the next attempt is further off');

  await smtp.start();
  const up = await ta.app.mailer.drain(later(2));
  t.same(up, { sent: 3, failed: 0, gaveUp: 0 });
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1, [staff.investigator.email!]: 2 },
    'the admin gets the new-lead notice once; the investigator that and the follow-up');
  t.same(await pending(ta), [], 'nothing left to send');
  t.same(await ta.app.mailer.drain(later(24)), { sent: 0, failed: 0, gaveUp: 0 }, 'and nothing is sent twice');
  t.equal(smtp.received.length, 3);
});

t.test('the server goes away between two drains, then comes back', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: smtp.env });
  const staff = await addUsualStaff(ta.database.db);
  await submit(ta, 1);
  t.same(await ta.app.mailer.drain(), { sent: 2, failed: 0, gaveUp: 0 });

  await smtp.stop();
  await submit(ta, 2);
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 2, gaveUp: 0 });
  await smtp.start();
  t.same(await ta.app.mailer.drain(later(1)), { sent: 2, failed: 0, gaveUp: 0 });
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 2, [staff.investigator.email!]: 2 });
});

t.test('after the maximum attempts a notice is given up, and kept', async (t) => {
  const smtp = await testSmtp(t, { started: false });
  const ta = await testApp(t, { env: { ...smtp.env, MAIL_MAX_ATTEMPTS: '3' } });
  await addUsualStaff(ta.database.db);
  await submit(ta, 1);
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 2, gaveUp: 0 });
  t.same(await ta.app.mailer.drain(later(1)), { sent: 0, failed: 2, gaveUp: 0 });
  t.same(await ta.app.mailer.drain(later(2)), { sent: 0, failed: 0, gaveUp: 2 });
  const rows = await pending(ta);
  t.equal(rows.length, 2, 'both rows are still there');
  t.ok(rows.every((r) => r.attempts === 3 && r.next_attempt_at === null && r.last_error), 'with their attempts and last error, no longer scheduled');
  await smtp.start();
  t.same(await ta.app.mailer.drain(later(48)), { sent: 0, failed: 0, gaveUp: 0 }, 'and not sent later');
});

t.test('a drain that claimed notices and died: they are sent once its lease has run out', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: smtp.env });
  await addUsualStaff(ta.database.db);
  await submit(ta, 1);
  const { claimDueNotices, expandPendingNotices } = await import('../../src/mail/repository.js');
  await expandPendingNotices(ta.database.db);
  t.equal((await claimDueNotices(ta.database.db, null, 10 * 60_000, 10)).length, 2, 'claimed by an instance that then crashed');
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 0, gaveUp: 0 }, 'leased: no other drain takes them');
  t.same(await ta.app.mailer.drain(later(1)), { sent: 2, failed: 0, gaveUp: 0 }, 'the lease ran out: sent');
  t.equal(smtp.received.length, 2);
});

t.test('sent notices are deleted after 30 days; unsent ones are kept however old', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: { ...smtp.env, MAIL_MAX_ATTEMPTS: '1' } });
  const staff = await addUsualStaff(ta.database.db);
  await submit(ta, 1);
  t.same(await ta.app.mailer.drain(), { sent: 2, failed: 0, gaveUp: 0 });
  await smtp.stop();
  const [lead] = await ta.database.db.selectFrom('reports').select('id').execute();
  // Assigned, and closed (no deadline), so that no digest joins in below.
  await ta.database.db.updateTable('reports').set({ assignee_id: staff.admin.id, due_on: null }).where('id', '=', lead!.id).execute();
  await enqueueFollowUpNotice(ta.database.db, lead!.id);
  await releaseHeldNotices(ta.database.db);
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 0, gaveUp: 1 }, 'given up at once (MAIL_MAX_ATTEMPTS=1)');

  // The background job, 31 days on.
  await ta.app.mailer.tick(new Date(Date.now() + 31 * 24 * HOUR));
  const rows = await ta.database.db.selectFrom('mail_outbox').select(['kind', 'sent_at']).execute();
  t.same(rows.map((r) => [r.kind, r.sent_at]), [['follow_up', null]], 'only the unsent notice is left');
});

t.test('a recipient the server refuses: that notice is retried, the others are sent', async (t) => {
  const smtp = await testSmtp(t, { refuse: ['admin1@xiansuo.test'] });
  const ta = await testApp(t, { env: smtp.env });
  const staff = await addUsualStaff(ta.database.db);
  await submit(ta, 1);
  t.same(await ta.app.mailer.drain(), { sent: 1, failed: 1, gaveUp: 0 });
  t.same(countByRecipient(smtp.received), { [staff.investigator.email!]: 1 });
  const [row] = await pending(ta);
  t.equal(row?.recipient_id, staff.admin.id);
  t.match(row?.last_error, /^EENVELOPE/);
});
