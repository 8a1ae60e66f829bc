import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { LOCALES, type Locale } from '../campaign/schema.js';
import type { MailKind, MailPayload } from '../db/schema.js';
import { loadCatalogs, translator, type Translate } from '../i18n/index.js';
import { DUE_SOON_WORKING_DAYS } from '../leads/deadlines.js';

// Staff notices, in Chinese then English (staff have no language setting, and one message that
// both can read beats guessing). What a notice may say is fixed here: its kind, counts, and the
// login address. Nothing from a report is ever passed to a template — not its text, category,
// village, subject, amount, the reporter's identity or the tracking code — so no template change
// can leak one (test/mail/notices.test.ts searches every message for them).

const EMAILS = fileURLToPath(new URL('../../views/emails/', import.meta.url));

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export type RenderNotice = (kind: MailKind, payload: MailPayload) => RenderedMail;

export function noticeRenderer(publicUrl: string): RenderNotice {
  const translators = Object.fromEntries(
    Object.entries(loadCatalogs()).map(([locale, catalog]) => [locale, translator(catalog)]),
  ) as Record<Locale, Translate>;
  const hbs = Handlebars.create();
  hbs.registerHelper('t', (...args: unknown[]) => {
    const options = args.pop() as Handlebars.HelperOptions;
    return translators[options.data.root.locale as Locale](args.join('.'), options.hash);
  });
  const template = (file: string, noEscape: boolean) =>
    hbs.compile(readFileSync(`${EMAILS}${file}`, 'utf8'), { noEscape, strict: true });
  const text = template('notice.text.hbs', true);
  const html = template('notice.html.hbs', false);
  const loginUrl = `${publicUrl}/staff/login`;

  return (kind, payload) => {
    const context = (locale: Locale) => ({
      locale,
      kind,
      loginUrl,
      count: payload.count ?? 1,
      overdue: payload.overdue ?? 0,
      dueSoon: payload.dueSoon ?? 0,
      days: DUE_SOON_WORKING_DAYS,
    });
    return {
      subject: LOCALES.map((locale) => translators[locale](`mail.${kind}.subject`)).join(' | '),
      text: LOCALES.map((locale) => text(context(locale)).trim()).join('\n\n———\n\n') + '\n',
      html: `<!doctype html>\n<html><body>\n${LOCALES.map((locale) => html(context(locale)).trim()).join('\n<hr>\n')}\n</body></html>\n`,
    };
  };
}
