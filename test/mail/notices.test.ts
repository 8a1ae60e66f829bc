import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { formatCode } from '../../src/lib/codes.js';
import { loadCatalogs } from '../../src/i18n/index.js';
import { chinaDate } from '../../src/calendar/work-calendar.js';
import { enqueueFollowUpNotice } from '../../src/mail/repository.js';
import { insertReport } from '../../src/reports/repository.js';
import { CATEGORIES } from '../../src/reports/schema.js';
import { allStoredValues, campaign, codeFrom, FORM, formBody, testApp, tokenFrom, type TestApp } from '../support/app.js';
import { addMailStaff, addUsualStaff, countByRecipient, mailTexts, parseMail, testSmtp, type ReceivedMail, releaseHeldNotices } from '../support/mail.js';
import { signIn } from '../support/staff.js';

// A new lead sends one content-free notice to each enabled admin and investigator with an
// address, through the outbox and a real SMTP server on loopback. No message carries anything of
// the report: not its text, category, village, subject, amount, the reporter's name or phone, or
// the tracking code.

const { 'zh-CN': zh, en } = loadCatalogs();
const PUBLIC_URL = 'https://xiansuo.example.org';
const DESCRIPTION = '邮件泄露探针：村会计王某收取拍照费三百元并冒领补助';
const SUBJECT = '探针对象村会计王某某';
const REAL_NAME = '赵探针';
const PHONE = '13800013800';
const AMOUNT = '7654321.98';

async function setup(t: Test) {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: { ...smtp.env, PUBLIC_URL } });
  const staff = await addUsualStaff(ta.database.db);
  return { smtp, ta, staff };
}

/** Submits through the real form, as a reporter would; returns the tracking code shown. */
async function submitForm(ta: TestApp, fields: Record<string, string>): Promise<string> {
  const form = await ta.app.inject('/report');
  const res = await ta.app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...fields, token: tokenFrom(form.body) }) });
  if (res.statusCode !== 200) throw new Error(`submission failed: ${res.statusCode}`);
  return codeFrom(res.body);
}

const outboxCount = async (ta: TestApp) =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM mail_outbox`.execute(ta.database.db)).rows[0]!.n);

/** Every needle found in any form of any message: [] when none. */
async function leaks(received: ReceivedMail[], needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const [i, mail] of received.entries()) {
    for (const part of await mailTexts(mail)) {
      for (const n of needles) {
        // Raw source is compared exactly (encoded bodies are random-looking text); decoded parts ignore case.
        const hit = part.where === 'raw source' ? part.text.includes(n) : part.text.toLowerCase().includes(n.toLowerCase());
        if (hit) found.push(`${JSON.stringify(n)} in message ${i} (${part.where})`);
      }
    }
  }
  return found;
}

t.test('a submission: one notice to each admin and investigator with an address, and nothing of the report', async (t) => {
  const { smtp, ta, staff } = await setup(t);
  const village = campaign.villages[0]!;
  const code = await submitForm(ta, {
    category: 'integrity', typicalForm: 'fees', village: village.id, subject: SUBJECT, description: DESCRIPTION,
    amount: AMOUNT, periodYear: '2023', periodMonth: '5', identity: 'real', name: REAL_NAME, phone: PHONE,
  });
  t.equal(await outboxCount(ta), 1, 'the submission enqueued one notice, addressed when sent');
  t.equal(smtp.received.length, 0, 'nothing is sent in the request');

  await releaseHeldNotices(ta.database.db);
  const result = await ta.app.mailer.drain();
  t.same(result, { sent: 2, failed: 0, gaveUp: 0 });
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1, [staff.investigator.email!]: 1 },
    'exactly one each; none to the investigator without an address, the disabled one, the clerk or the viewer');
  t.ok(smtp.received.every((m) => m.to.length === 1), 'each message has one recipient: staff do not see each other');

  const needles = [
    DESCRIPTION, DESCRIPTION.slice(0, 8), SUBJECT, REAL_NAME, PHONE, AMOUNT, '7654321',
    code, formatCode(code), code.replace(/(\d{4})(?=\d)/g, '$1-'),
    'integrity', zh['category.integrity.name']!, en['category.integrity.name']!, zh['category.integrity.forms.fees']!, en['category.integrity.forms.fees']!,
    village.id, village.name['zh-CN'], village.name.en,
  ];
  t.same(await leaks(smtp.received, needles), [], 'no message holds any part of the report or its code');

  const mail = await parseMail(smtp.received[0]!);
  t.equal(mail.subject, `${zh['mail.new_lead.subject']!} | ${en['mail.new_lead.subject']!}`, 'the subject, in Chinese and English');
  t.match(mail.from?.text, 'noreply@xiansuo.test');
  for (const text of [mail.text ?? '', String(mail.html)]) {
    t.match(text, `${PUBLIC_URL}/staff/login`, 'a link to sign in');
    t.match(text, zh['mail.new_lead.body']!.replace('{count}', '1'));
    t.match(text, en['mail.new_lead.body']!.replace('{count}', '1'));
    t.match(text, en['mail.privacy']!);
  }

  const stored = (await allStoredValues(ta.database.db)).filter((v) => v.where.startsWith('mail_outbox.'));
  t.same(stored.filter((v) => needles.some((n) => v.text.includes(n))), [], 'nor does the outbox table');

  await releaseHeldNotices(ta.database.db);
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 0, gaveUp: 0 }, 'a second drain sends nothing again');
  t.equal(smtp.received.length, 2);
});

t.test('every category, village and channel (form and API): still only "something is waiting"', async (t) => {
  const { smtp, ta, staff } = await setup(t);
  const codes: string[] = [];
  const needles: string[] = [];
  for (const [i, category] of CATEGORIES.entries()) {
    const village = campaign.villages[i % campaign.villages.length]!;
    const description = `${DESCRIPTION}（第${i + 1}件）`;
    needles.push(description, category, zh[`category.${category}.name`]!, en[`category.${category}.name`]!, village.name['zh-CN'], village.name.en);
    if (i % 2 === 0) {
      codes.push(await submitForm(ta, { category, village: village.id, description }));
    } else {
      const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { category, village: village.id, description } });
      t.equal(res.statusCode, 201);
      codes.push(res.json<{ code: string }>().code.replace(/ /g, ''));
    }
  }
  t.equal(await outboxCount(ta), 4, 'one outbox row per submission');
  await releaseHeldNotices(ta.database.db);
  await ta.app.mailer.drain();
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1, [staff.investigator.email!]: 1 },
    'leads that arrived together make one notice per person (saying how many), not one per lead');
  const text = (await parseMail(smtp.received[0]!)).text ?? '';
  t.match(text, en['mail.new_lead.body']!.replace('{count}', '4'));
  needles.push(...codes, ...codes.map(formatCode));
  t.same(await leaks(smtp.received, needles), []);
});

t.test('the notice is part of the report statement: no report, no notice', async (t) => {
  const { ta } = await setup(t);
  await t.rejects(
    insertReport(ta.database.db, { code_hash: Buffer.alloc(32), category: 'bogus' as 'funds', description: 'x'.repeat(20), due_on: '2026-01-05' }),
    /check constraint/,
  );
  t.equal(await outboxCount(ta), 0, 'the failed insert left no notice behind');
});

t.test('a reporter follow-up: a notice to the assignee only, or to the triagers while unassigned', async (t) => {
  const { smtp, ta, staff } = await setup(t);
  await submitForm(ta, { category: 'funds', description: DESCRIPTION });
  await submitForm(ta, { category: 'duty', description: DESCRIPTION });
  await releaseHeldNotices(ta.database.db);
  await ta.app.mailer.drain();
  smtp.received.length = 0;
  const [assigned, unassigned] = (await ta.database.db.selectFrom('reports').select('id').orderBy('id').execute()).map((r) => r.id);
  await ta.database.db.updateTable('reports').set({ assignee_id: staff.investigator.id }).where('id', '=', assigned!).execute();

  await ta.database.db.transaction().execute((trx) => enqueueFollowUpNotice(trx, assigned!));
  await releaseHeldNotices(ta.database.db);
  await ta.app.mailer.drain();
  t.same(countByRecipient(smtp.received), { [staff.investigator.email!]: 1 }, 'the assignee alone');
  t.equal((await parseMail(smtp.received[0]!)).subject, `${zh['mail.follow_up.subject']!} | ${en['mail.follow_up.subject']!}`);

  smtp.received.length = 0;
  await enqueueFollowUpNotice(ta.database.db, unassigned!);
  await releaseHeldNotices(ta.database.db);
  await ta.app.mailer.drain();
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1, [staff.investigator.email!]: 1 }, 'nobody assigned: whoever triages');
  t.same(await leaks(smtp.received, [DESCRIPTION, 'funds', 'duty', zh['category.funds.name']!, zh['category.duty.name']!]), []);
});

t.test('an assignee disabled before the notice is sent: given up, kept, never sent', async (t) => {
  const { smtp, ta, staff } = await setup(t);
  await submitForm(ta, { category: 'funds', description: DESCRIPTION });
  const [lead] = await ta.database.db.selectFrom('reports').select('id').execute();
  await ta.database.db.updateTable('reports').set({ assignee_id: staff.investigator.id }).where('id', '=', lead!.id).execute();
  await enqueueFollowUpNotice(ta.database.db, lead!.id);
  await ta.database.db.updateTable('staff_users').set({ disabled: true }).where('id', '=', staff.investigator.id).execute();
  await releaseHeldNotices(ta.database.db);
  const result = await ta.app.mailer.drain();
  t.same(result, { sent: 1, failed: 0, gaveUp: 1 }, 'the admin gets the new-lead notice; the follow-up has nobody to go to');
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1 });
  const row = await ta.database.db.selectFrom('mail_outbox').selectAll().where('kind', '=', 'follow_up').executeTakeFirstOrThrow();
  t.equal(row.sent_at, null);
  t.equal(row.next_attempt_at, null, 'not retried');
  t.match(row.last_error, /disabled/);
});

t.test('no admin or investigator has an address yet: the notice waits instead of vanishing', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: smtp.env });
  const admin = await addMailStaff(ta.database.db, 'admin1', 'admin', { email: null });
  await submitForm(ta, { category: 'funds', description: DESCRIPTION });
  await releaseHeldNotices(ta.database.db);
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 0, gaveUp: 0 });
  await ta.database.db.updateTable('staff_users').set({ email: 'late@xiansuo.test' }).where('id', '=', admin.id).execute();
  await releaseHeldNotices(ta.database.db);
  t.same(await ta.app.mailer.drain(), { sent: 1, failed: 0, gaveUp: 0 });
  t.same(countByRecipient(smtp.received), { 'late@xiansuo.test': 1 });
});

t.test('a lead a clerk records from a call: the same notice, once, even after a double click', async (t) => {
  const { smtp, ta, staff } = await setup(t);
  const clerk = await signIn(ta, 'clerk', 'clerk9');
  const token = /name="token" value="([^"]+)"/.exec((await clerk.get('/staff/intake')).body)![1]!;
  const fields = { category: 'policy', description: DESCRIPTION, village: 'gulu', token, channel: 'hotline', receivedOn: chinaDate(new Date()) };
  t.equal((await clerk.post('/staff/intake', fields)).statusCode, 200);
  const again = await clerk.post('/staff/intake', fields);
  t.equal(again.statusCode, 200);
  const code = /id="tracking-code">([\d ]+)</.exec(again.body)![1]!.replace(/ /g, '');
  t.equal(await outboxCount(ta), 1, 'one lead, one notice');
  await releaseHeldNotices(ta.database.db);
  await ta.app.mailer.drain();
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1, [staff.investigator.email!]: 1 }, 'not to the clerk who recorded it');
  t.same(await leaks(smtp.received, [DESCRIPTION, code, formatCode(code), 'policy', zh['category.policy.name']!, 'gulu', zh['channels.hotline']!]), []);
});

t.test('a notice a reporter causes waits for the next full hour: its delivery time says no more than the stored hour', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: smtp.env });
  await addUsualStaff(ta.database.db);
  await submitForm(ta, { category: 'funds', description: DESCRIPTION });
  t.same(await ta.app.mailer.drain(), { sent: 0, failed: 0, gaveUp: 0 }, 'nothing goes out in the hour of the report');
  const [row] = await ta.database.db.selectFrom('mail_outbox').select(['next_attempt_at', 'created_at']).execute();
  const nextHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  t.same(row!.next_attempt_at, nextHour, 'due at the top of the next hour');
  t.equal(row!.created_at.getTime() % 3_600_000, 0, 'and stored to the hour');
  t.same(await ta.app.mailer.drain(new Date(nextHour.getTime() + 1)), { sent: 2, failed: 0, gaveUp: 0 }, 'then sent');
  t.equal(smtp.received.length, 2);
});

t.test('the background job sends on its own, every MAIL_POLL_SECONDS', async (t) => {
  const smtp = await testSmtp(t);
  const ta = await testApp(t, { env: { ...smtp.env, MAIL_POLL_SECONDS: '1' } });
  const staff = await addUsualStaff(ta.database.db);
  await submitForm(ta, { category: 'funds', description: DESCRIPTION });
  await releaseHeldNotices(ta.database.db);
  const deadline = Date.now() + 15_000;
  while (smtp.received.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(countByRecipient(smtp.received), { [staff.admin.email!]: 1, [staff.investigator.email!]: 1 });
});
