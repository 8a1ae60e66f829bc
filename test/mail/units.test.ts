import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { chinaHour, digestDue, retryDelayMs } from '../../src/mail/mailer.js';
import { noticeRenderer } from '../../src/mail/messages.js';
import { calendar } from '../support/app.js';

t.test('mail settings: off by default, MAIL_FROM required with SMTP_URL, bad values named', async (t) => {
  t.same(loadConfig({}).mail, { smtpUrl: null, from: null, pollMs: 30_000, maxAttempts: 50, digestHour: 8 });
  const c = loadConfig({ SMTP_URL: 'smtp://user:pass@mail.example.org:587', MAIL_FROM: '线索 <noreply@example.org>', MAIL_DIGEST_HOUR: '7' });
  t.equal(c.mail.smtpUrl, 'smtp://user:pass@mail.example.org:587');
  t.equal(c.mail.digestHour, 7);
  const error = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      t.type(err, ConfigError);
      return (err as Error).message;
    }
    return 'accepted';
  };
  t.match(error({ SMTP_URL: 'smtp://127.0.0.1:2525' }), /^Invalid environment variable MAIL_FROM: required when SMTP_URL is set/);
  t.match(error({ SMTP_URL: 'http://mail.example.org', MAIL_FROM: 'a@example.org' }), /^Invalid environment variable SMTP_URL/);
  t.notMatch(error({ SMTP_URL: 'smtp://user:secret-pass@', MAIL_FROM: 'a@example.org' }), /secret-pass/, 'the password is never echoed');
  t.match(error({ MAIL_FROM: 'nobody' }), /^Invalid environment variable MAIL_FROM/);
  t.match(error({ MAIL_FROM: 'a@example.org\r\nBcc: x@example.org' }), /^Invalid environment variable MAIL_FROM/, 'no header injection');
  t.match(error({ MAIL_DIGEST_HOUR: '24' }), /^Invalid environment variable MAIL_DIGEST_HOUR/);
  t.match(error({ MAIL_MAX_ATTEMPTS: '0' }), /^Invalid environment variable MAIL_MAX_ATTEMPTS/);
  t.match(error({ MAIL_POLL_SECONDS: '0' }), /^Invalid environment variable MAIL_POLL_SECONDS/);
});

t.test('retries back off exponentially, up to an hour', async (t) => {
  t.same([1, 2, 3, 4, 7, 8, 50].map(retryDelayMs), [30_000, 60_000, 120_000, 240_000, 1_920_000, 3_600_000, 3_600_000]);
});

t.test('the digest is due once a working day in China, from the configured hour', async (t) => {
  t.equal(chinaHour(new Date('2026-03-01T23:30:00Z')), 7);
  t.equal(chinaHour(new Date('2026-03-02T16:00:00Z')), 0);
  const due = (iso: string, last: string | null = null) => digestDue(calendar, 8, last, new Date(iso));
  t.equal(due('2026-03-01T23:30:00Z'), false, 'Monday 07:30: too early');
  t.equal(due('2026-03-02T00:00:00Z'), true, 'Monday 08:00');
  t.equal(due('2026-03-02T15:59:00Z'), true, 'Monday 23:59, if the server was down all day');
  t.equal(due('2026-03-02T03:00:00Z', '2026-03-02'), false, 'already run today');
  t.equal(due('2026-03-03T03:00:00Z', '2026-03-02'), true, 'the next day');
  t.equal(due('2026-03-07T03:00:00Z'), false, 'Saturday');
  t.equal(due('2026-02-17T03:00:00Z'), false, 'Spring Festival holiday');
  t.equal(due('2026-02-14T03:00:00Z'), true, 'a Saturday made a working day (调休)');
});

t.test('every kind of notice renders in both languages with the login link, and nothing unfilled', async (t) => {
  const render = noticeRenderer('https://xiansuo.example.org');
  for (const [kind, payload] of [['new_lead', { count: 3 }], ['follow_up', { count: 1 }], ['digest', { overdue: 2, dueSoon: 5 }]] as const) {
    const m = render(kind, payload);
    t.match(m.subject, / \| /, `${kind}: subject in two languages`);
    for (const part of [m.text, m.html]) {
      t.match(part, 'https://xiansuo.example.org/staff/login');
      t.notMatch(part, /\{\w+\}/, `${kind}: every placeholder filled`);
      t.notMatch(part, /mail\.\w+/, `${kind}: no missing catalog key`);
    }
    t.match(m.text, /[\u4e00-\u9fff]/, 'Chinese');
    t.match(m.text, /Sign in/, 'and English');
  }
  t.match(render('digest', { overdue: 2, dueSoon: 5 }).text, 'overdue: 2. Due within 3 working days: 5.');
});
