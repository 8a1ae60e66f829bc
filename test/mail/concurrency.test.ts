import t from 'tap';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { JOBS, runExclusive } from '../../src/db/exclusive.js';
import { enqueueFollowUpNotice } from '../../src/mail/repository.js';
import { testApp, testDatabase, VALID_REPORT } from '../support/app.js';
import { addMailStaff, countByRecipient, testSmtp, releaseHeldNotices } from '../support/mail.js';

// Several app instances on one database drain the same outbox at the same time: every notice is
// sent by exactly one of them. On PostgreSQL (TEST_DATABASE_URL) each instance has its own
// connection pool, so the drains really overlap; on the embedded database they share its one
// connection and interleave statement by statement.

t.test('two instances draining at once send each notice exactly once', async (t) => {
  // Each message takes a while to accept, so that both drains are busy at the same time.
  const smtp = await testSmtp(t, { delayMs: 15 });
  const database = await testDatabase(t);
  let second: DatabaseHandle = database;
  if (database.url) {
    second = await connectDatabase({ kind: 'pg', url: database.url, poolSize: 5 });
    t.teardown(() => second.close());
  }
  const env = { ...smtp.env, RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000' };
  const a = await testApp(t, { env, database });
  const b = await testApp(t, { env, database: second });

  const investigators = [];
  for (let i = 0; i < 12; i++) investigators.push(await addMailStaff(database.db, `inv${i}`, 'investigator'));
  await addMailStaff(database.db, 'admin1', 'admin');
  const res = await a.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
  t.equal(res.statusCode, 201);
  // 36 more leads, each assigned to an investigator (3 each) with a reporter follow-up: 36
  // follow-up notices. The 37 new leads make one new-lead notice per person: 13.
  for (let i = 0; i < 12; i++) {
    for (let k = 0; k < 3; k++) {
      const r = await b.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, category: 'funds' } });
      t.equal(r.statusCode, 201, `lead ${i}.${k}`);
    }
  }
  const leads = await database.db.selectFrom('reports').select('id').orderBy('id').offset(1).execute();
  for (const [i, lead] of leads.entries()) {
    await database.db.updateTable('reports').set({ assignee_id: investigators[i % 12]!.id }).where('id', '=', lead.id).execute();
    await enqueueFollowUpNotice(database.db, lead.id);
  }

  await releaseHeldNotices(a.database.db);
  const [ra, rb] = await Promise.all([a.app.mailer.drain(), b.app.mailer.drain()]);
  t.equal(ra.failed + rb.failed + ra.gaveUp + rb.gaveUp, 0, 'no failures');
  t.equal(ra.sent + rb.sent, 13 + 36, 'every notice sent, by one instance or the other');
  if (database.url) t.ok(ra.sent > 0 && rb.sent > 0, `both instances took part (${ra.sent} + ${rb.sent})`);

  const counts = countByRecipient(smtp.received);
  t.equal(counts['admin1@xiansuo.test'], 1, 'the admin: one new-lead notice');
  for (const inv of investigators) t.equal(counts[inv.email!], 1 + 3, `${inv.email}: one new-lead notice and three follow-ups, once each`);
  t.equal(smtp.received.length, 49, 'nothing was sent twice');

  const left = await database.db.selectFrom('mail_outbox').select('id').where('sent_at', 'is', null).execute();
  t.same(left, [], 'every row is marked sent');
  const again = await Promise.all([a.app.mailer.drain(new Date(Date.now() + 3_600_000)), b.app.mailer.drain(new Date(Date.now() + 3_600_000))]);
  t.same(again.map((r) => r.sent), [0, 0], 'and later drains find nothing');
});

t.test(
  'while one instance expands the new-lead notices, another leaves them to it: one notice per person',
  { skip: process.env.TEST_DATABASE_URL ? false : 'runs in the PostgreSQL pass (TEST_DATABASE_URL): a second instance needs a connection of its own' },
  async (t) => {
    const smtp = await testSmtp(t);
    const database = await testDatabase(t);
    const a = await testApp(t, { env: smtp.env, database });
    await addMailStaff(database.db, 'inv0', 'investigator');
    await addMailStaff(database.db, 'admin1', 'admin');
    for (let i = 0; i < 3; i++) t.equal((await a.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT })).statusCode, 201);
    await releaseHeldNotices(database.db);

    // The other instance is expanding right now: it holds the expansion's lock until told to stop.
    const other = await connectDatabase({ kind: 'pg', url: database.url!, poolSize: 1 });
    t.teardown(() => other.close());
    let locked!: () => void;
    let release!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const holder = runExclusive(other.db, JOBS.noticeExpansion, async () => {
      locked();
      await released;
    });
    await isLocked;
    const during = await a.app.mailer.drain();
    t.same([during.sent, smtp.received.length], [0, 0], 'nothing expanded or sent beside the other expansion');
    t.equal((await database.db.selectFrom('mail_outbox').select('id').where('recipient_id', 'is', null).where('sent_at', 'is', null).execute()).length, 3, 'the three new-lead rows still wait');

    release();
    await holder;
    const after = await a.app.mailer.drain();
    t.equal(after.sent, 2, 'then one notice each for the admin and the investigator');
    t.same(countByRecipient(smtp.received), { 'admin1@xiansuo.test': 1, 'inv0@xiansuo.test': 1 });
    const payloads = await database.db.selectFrom('mail_outbox').select('payload').where('recipient_id', 'is not', null).execute();
    t.same(payloads.map((p) => p.payload), [{ count: 3 }, { count: 3 }], 'each saying all three leads');
  },
);
