import t from 'tap';
import { loadCatalogs } from '../../src/i18n/index.js';
import { codeFrom, FORM, formBody, testApp, tokenFrom } from '../support/app.js';
import { addUsualStaff, releaseHeldNotices } from '../support/mail.js';

// Without SMTP_URL, notices go through the same outbox and are "sent" to the log: one line per
// notice with the recipient and the subject, and nothing else of the message.

const { 'zh-CN': zh, en } = loadCatalogs();
const DESCRIPTION = '日志探针：村文书收取资料费一百元';

t.test('dev mode: each notice is one log line with recipient and subject only', async (t) => {
  const ta = await testApp(t, { env: { PUBLIC_URL: 'https://xiansuo.example.org' } });
  const staff = await addUsualStaff(ta.database.db);
  const form = await ta.app.inject('/report');
  const res = await ta.app.inject({
    method: 'POST', url: '/report', headers: FORM,
    payload: formBody({ category: 'integrity', village: 'gulu', description: DESCRIPTION, token: tokenFrom(form.body) }),
  });
  const code = codeFrom(res.body);

  await releaseHeldNotices(ta.database.db);
  t.same(await ta.app.mailer.drain(), { sent: 2, failed: 0, gaveUp: 0 }, 'logged counts as sent');
  const lines = ta.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.mail);
  const subject = `${zh['mail.new_lead.subject']} | ${en['mail.new_lead.subject']}`;
  t.same(
    lines.map((l) => l.mail).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    [{ to: staff.admin.email, subject }, { to: staff.investigator.email, subject }],
    'one line per recipient: address and subject',
  );
  for (const line of lines) {
    t.same(Object.keys(line).sort(), ['hostname', 'level', 'mail', 'msg', 'pid', 'time'], 'no other field');
  }
  const all = ta.logs.join('\n');
  for (const needle of [DESCRIPTION, code, 'gulu', zh['category.integrity.name']!, '/staff/login', en['mail.privacy']!]) {
    t.notMatch(all, needle, `the log never shows ${needle}`);
  }
  const rows = await ta.database.db.selectFrom('mail_outbox').select(['sent_at']).where('recipient_id', 'is not', null).execute();
  t.ok(rows.length === 2 && rows.every((r) => r.sent_at), 'the outbox rows are done');
});
