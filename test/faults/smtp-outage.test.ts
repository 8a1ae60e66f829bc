import t from 'tap';
import { testApp, testDatabase, VALID_REPORT, type TestApp } from '../support/app.js';
import { addUsualStaff, countByRecipient, releaseHeldNotices, testSmtp } from '../support/mail.js';
import { sleep } from '../support/processes.js';

// test/mail/outage.test.ts drives the drain by hand with a clock moved forward. Here the real
// background job runs on its timer, in real time: the SMTP server is down while reports arrive and
// the app is restarted, then a server comes up on loopback and every notice arrives once.

const outbox = (ta: TestApp) => ta.database.db.selectFrom('mail_outbox').selectAll().orderBy('id').execute();

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(250);
  }
}

t.setTimeout(300_000);

t.test('SMTP down for the whole run (and a restart), then up: every notice delivered once, by the background job', { timeout: 240_000 }, async (t) => {
  const smtp = await testSmtp(t, { started: false });
  const database = await testDatabase(t);
  const env = { ...smtp.env, MAIL_POLL_SECONDS: '1' };
  const first = await testApp(t, { database, env });
  const staff = await addUsualStaff(database.db);

  for (let i = 0; i < 6; i++) {
    const res = await first.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
    t.equal(res.statusCode, 201);
    await sleep(400);
  }
  await releaseHeldNotices(database.db);
  await until('every notice tried and failed', async () => {
    const rows = (await outbox(first)).filter((r) => r.recipient_id !== null);
    return rows.length > 0 && rows.every((r) => r.attempts >= 1 && r.last_error !== null);
  }, 60_000);
  t.equal(smtp.received.length, 0, 'nothing delivered while the server is down');
  await first.app.close();

  await smtp.start();
  const second = await testApp(t, { database, env });
  await until('the outbox is empty', async () => (await outbox(second)).every((r) => r.sent_at !== null), 120_000);
  // A few more runs of the job: nothing may go out twice.
  await sleep(3_000);

  const rows = (await outbox(second)).filter((r) => r.recipient_id !== null);
  // Which notices were tried during the outage depends on timing (one may be expanded just before the
  // restart); that nothing went out while SMTP was down is asserted above.
  t.ok(rows.every((r) => r.sent_at !== null && r.next_attempt_at === null), 'each notice marked sent');
  t.equal(smtp.received.length, rows.length, `${rows.length} notices, ${smtp.received.length} messages: one each`);
  const expected = { [staff.admin.email!]: rows.filter((r) => r.recipient_id === staff.admin.id).length, [staff.investigator.email!]: rows.filter((r) => r.recipient_id === staff.investigator.id).length };
  t.ok(expected[staff.admin.email!]! > 0 && expected[staff.investigator.email!]! > 0, 'both the admin and the investigator had notices');
  t.same(countByRecipient(smtp.received), expected, 'to the admin and the investigator, and nobody else');
});
