import t from 'tap';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { loadCatalogs } from '../../src/i18n/index.js';
import { testApp, testDatabase, VALID_REPORT, type TestApp } from '../support/app.js';
import { addMailStaff, countByRecipient, mailTexts, parseMail, testSmtp, releaseHeldNotices } from '../support/mail.js';

// The daily digest: each assignee with leads overdue or due within 3 working days gets one
// notice a day with the two counts — never which leads — however many instances run the job.

const { 'zh-CN': zh, en } = loadCatalogs();
/** 09:00 in China on a date. */
const chinaMorning = (day: string) => new Date(`${day}T01:00:00Z`);

async function lead(ta: TestApp, assigneeId: string | null, dueOn: string | null, description = VALID_REPORT.description) {
  const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, description } });
  if (res.statusCode !== 201) throw new Error(`submission failed: ${res.statusCode}`);
  const row = await ta.database.db.selectFrom('reports').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  await ta.database.db.updateTable('reports').set({ assignee_id: assigneeId, due_on: dueOn }).where('id', '=', row.id).execute();
}

const digests = (ta: TestApp) =>
  ta.database.db.selectFrom('mail_outbox').select(['recipient_id', 'payload', 'dedup_key']).where('kind', '=', 'digest').orderBy('id').execute();

async function setup(t: Parameters<typeof testApp>[0]) {
  const smtp = await testSmtp(t);
  const database = await testDatabase(t);
  let second: DatabaseHandle = database;
  if (database.url) {
    second = await connectDatabase({ kind: 'pg', url: database.url, poolSize: 2 });
    t.teardown(() => second.close());
  }
  const env = { ...smtp.env, RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000' };
  const a = await testApp(t, { env, database });
  const b = await testApp(t, { env, database: second });
  const db = database.db;
  const staff = {
    busy: await addMailStaff(db, 'busy', 'investigator'),
    relaxed: await addMailStaff(db, 'relaxed', 'investigator'),
    disabled: await addMailStaff(db, 'gone', 'investigator', { disabled: true }),
    noEmail: await addMailStaff(db, 'noemail', 'investigator', { email: null }),
    admin: await addMailStaff(db, 'admin1', 'admin'),
  };
  return { smtp, a, b, staff };
}

t.test('one digest per assignee per day, with counts only, even when run twice and on two instances', async (t) => {
  const { smtp, a, b, staff } = await setup(t);
  const secret = '摘要探针：村主任李某指定施工队收回扣';
  // Monday 2 March 2026: due soon means due by Thursday 5 March (3 working days).
  await lead(a, staff.busy.id, '2026-02-27', secret); // overdue
  await lead(a, staff.busy.id, '2026-03-02'); // due today
  await lead(a, staff.busy.id, '2026-03-05'); // due on the third working day
  await lead(a, staff.busy.id, '2026-03-06'); // later: not in the digest
  await lead(a, staff.busy.id, null); // closed
  await lead(a, staff.relaxed.id, '2026-03-20');
  await lead(a, staff.disabled.id, '2026-02-20');
  await lead(a, staff.noEmail.id, '2026-02-20');
  await lead(a, null, '2026-02-20'); // unassigned: in the queue, in nobody's digest
  await releaseHeldNotices(a.database.db);
  await a.app.mailer.drain(); // the new-lead notices, out of the way
  smtp.received.length = 0;

  const monday = chinaMorning('2026-03-02');
  t.equal(await a.app.mailer.enqueueDigests(monday), 1, 'one digest: only the busy investigator has leads due');
  t.equal(await a.app.mailer.enqueueDigests(monday), 0, 'run again the same day: nothing more');
  // An instance that finds the other holding the digest's lock skips (null) rather than waits.
  const again = await Promise.all([a.app.mailer.enqueueDigests(monday), b.app.mailer.enqueueDigests(monday)]);
  t.ok(again.every((n) => n === 0 || n === null), 'nor from two instances');
  t.same(await digests(a), [{ recipient_id: staff.busy.id, payload: { overdue: 1, dueSoon: 2 }, dedup_key: `digest:${staff.busy.id}:2026-03-02` }]);

  const tuesday = chinaMorning('2026-03-03');
  const both = await Promise.all([a.app.mailer.enqueueDigests(tuesday), b.app.mailer.enqueueDigests(tuesday)]);
  t.equal(both.filter((n) => n === 1).length, 1, 'the next day: two instances at once enqueue one digest between them');
  t.ok(both.every((n) => n === 0 || n === 1 || n === null));
  t.equal((await digests(a)).length, 2);

  await releaseHeldNotices(a.database.db);
  await Promise.all([a.app.mailer.drain(), b.app.mailer.drain()]);
  t.same(countByRecipient(smtp.received), { [staff.busy.email!]: 2 }, 'one message a day, to the assignee only');
  const mail = await parseMail(smtp.received[0]!);
  t.equal(mail.subject, `${zh['mail.digest.subject']} | ${en['mail.digest.subject']}`);
  const body = en['mail.digest.body']!.replace('{overdue}', '1').replace('{days}', '3').replace('{dueSoon}', '2');
  t.match(mail.text, body, 'the counts, in plain words');
  const texts = (await Promise.all(smtp.received.map(mailTexts))).flat();
  t.same(texts.filter((p) => [secret, VALID_REPORT.description, '2026-02-27', '2026-03-05'].some((n) => p.text.includes(n))), [],
    'no lead text or date in any digest');
});

t.test('working days, not calendar days: across the Spring Festival', async (t) => {
  const { a, staff } = await setup(t);
  // Friday 13 February 2026: the 14th is a make-up working day, the 15th–23rd are holidays, so
  // three working days later is Wednesday 25 February.
  await lead(a, staff.busy.id, '2026-02-25');
  await lead(a, staff.relaxed.id, '2026-02-26');
  t.equal(await a.app.mailer.enqueueDigests(chinaMorning('2026-02-13')), 1);
  t.same((await digests(a)).map((d) => [d.recipient_id, d.payload]), [[staff.busy.id, { overdue: 0, dueSoon: 1 }]]);
});

t.test('the background job sends the digest once a working day, from the configured hour', async (t) => {
  const { smtp, a, staff } = await setup(t);
  await lead(a, staff.busy.id, '2026-03-02');
  await releaseHeldNotices(a.database.db);
  await a.app.mailer.drain();
  smtp.received.length = 0;
  await a.app.mailer.tick(new Date('2026-03-01T23:30:00Z')); // 07:30 in China
  t.equal((await digests(a)).length, 0, 'not before 08:00 (MAIL_DIGEST_HOUR)');
  await a.app.mailer.tick(chinaMorning('2026-03-02'));
  await a.app.mailer.tick(new Date('2026-03-02T08:00:00Z'));
  t.equal((await digests(a)).length, 1, 'once that day');
  t.same(countByRecipient(smtp.received), { [staff.busy.email!]: 1 }, 'and sent by the same run');
  await a.app.mailer.tick(chinaMorning('2026-03-07'));
  t.equal((await digests(a)).length, 1, 'none on a Saturday');
});
