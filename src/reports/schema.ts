import { z } from 'zod';
import type { Category } from '../db/schema.js';
import { charLength, cleanText, digitsOnly, toHalfWidth } from '../lib/text.js';

// One declaration of what a report is, used by the HTML form, the JSON API, the OpenAPI document
// and the types. Messages are catalog keys; the edge translates them into the user's language.

export const CATEGORIES = ['funds', 'policy', 'duty', 'integrity'] as const satisfies readonly Category[];

// The typical forms the seed document lists under each category (catalog: category.<c>.forms.<f>).
export const TYPICAL_FORMS: Record<Category, readonly string[]> = {
  funds: ['no-special-account', 'diverted'],
  policy: ['not-by-standard', 'arbitrary-differences', 'arbitrary-amount', 'equal-shares'],
  duty: ['not-explained', 'complaints-ignored', 'lax-inspection'],
  integrity: ['fees', 'skimming', 'favouritism', 'collected-on-behalf', 'gifts-and-contracts'],
};

export const OTHER_VILLAGE = 'other';
export const FIRST_YEAR = 2017;
export const LIMITS = { description: { min: 10, max: 5000 }, subject: 200, name: 50, amountMax: 99_999_999_999 } as const;

/** Free text: invisible characters and undecodable bytes are refused with a clear message. */
export function text(opts: { min?: number; max: number }) {
  return z.string({ error: 'errors.text.type' }).transform((raw, ctx) => {
    const { text, stripped, undecodable } = cleanText(raw);
    if (undecodable) ctx.addIssue({ code: 'custom', message: 'errors.text.undecodable' });
    else if (stripped) ctx.addIssue({ code: 'custom', message: 'errors.text.invisible' });
    const length = charLength(text);
    if (opts.min !== undefined && length < opts.min) {
      ctx.addIssue({ code: 'custom', message: length === 0 ? 'errors.required' : 'errors.text.tooShort', params: { min: opts.min, length } });
    } else if (length > opts.max) {
      ctx.addIssue({ code: 'custom', message: 'errors.text.tooLong', params: { max: opts.max, length } });
    }
    return text;
  });
}

/** An optional field: absent, null or blank all mean "not given". */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v), schema.optional());
}

// Mobile: 11 digits starting 13–19 (optionally +86). Landline: area code 0XX/0XXX and a 7–8 digit
// number, or a local 7–8 digit number as villagers often write it (e.g. 67166106).
const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0\d{2,3}[2-9]\d{6,7}$/;
const LOCAL = /^[2-9]\d{6,7}$/;

export const phoneSchema = z.string({ error: 'errors.phone.invalid' }).transform((raw, ctx) => {
  let digits = digitsOnly(raw).replace(/^\+?86(?=1\d{10}$)/, '').replace(/^0086(?=1\d{10}$)/, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  if (!MOBILE.test(digits) && !LANDLINE.test(digits) && !LOCAL.test(digits)) {
    ctx.addIssue({ code: 'custom', message: 'errors.phone.invalid' });
  }
  return digits;
});

export const periodSchema = z.string({ error: 'errors.period.invalid' }).transform((raw, ctx) => {
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$/.exec(toHalfWidth(raw).trim());
  const year = Number(m?.[1]);
  const month = Number(m?.[2]);
  if (!m || month < 1 || month > 12) {
    ctx.addIssue({ code: 'custom', message: 'errors.period.invalid' });
    return z.NEVER;
  }
  const now = currentMonth();
  if (year < FIRST_YEAR) ctx.addIssue({ code: 'custom', message: 'errors.period.tooEarly', params: { year: FIRST_YEAR } });
  else if (year * 12 + month > now.year * 12 + now.month) ctx.addIssue({ code: 'custom', message: 'errors.period.future' });
  return `${year}-${String(month).padStart(2, '0')}`;
});

// Built once, not per request (see chinaDate in src/calendar/work-calendar.ts).
const CHINA_MONTH = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' });

/** Year and month in China, where the reporter is, whatever the server's time zone. */
export function currentMonth(date = new Date()): { year: number; month: number } {
  const [year, month] = CHINA_MONTH.format(date)
    .split('-')
    .map(Number);
  return { year: year!, month: month! };
}

export const amountSchema = z.union([z.number(), z.string()], { error: 'errors.amount.invalid' }).transform((raw, ctx) => {
  const s = typeof raw === 'number' ? String(raw) : toHalfWidth(raw).replace(/[\s,，元¥￥]/g, '').replace(/。/g, '.');
  if (!/^\d+(\.\d{1,2})?$/.test(s)) {
    ctx.addIssue({ code: 'custom', message: s.startsWith('-') ? 'errors.amount.negative' : 'errors.amount.invalid' });
    return z.NEVER;
  }
  if (Number(s) > LIMITS.amountMax) ctx.addIssue({ code: 'custom', message: 'errors.amount.tooLarge' });
  return s;
});

/** `villageIds` is asked on each validation: admins edit the village list while the app runs. */
export function makeReportInputSchema(villageIds: () => readonly string[]) {
  return z
    .object({
      category: z.enum(CATEGORIES, { error: 'errors.category.required' }),
      typicalForm: optional(z.string()),
      village: optional(z.string().refine((v) => v === OTHER_VILLAGE || villageIds().includes(v), 'errors.village.unknown')),
      subject: optional(text({ max: LIMITS.subject })),
      description: text(LIMITS.description),
      period: optional(periodSchema),
      amount: optional(amountSchema),
      realName: optional(
        z.object(
          { name: text({ min: 1, max: LIMITS.name }), phone: phoneSchema },
          { error: 'errors.realName.invalid' },
        ),
      ),
    })
    .superRefine((r, ctx) => {
      if (r.typicalForm !== undefined && !TYPICAL_FORMS[r.category].includes(r.typicalForm)) {
        ctx.addIssue({ code: 'custom', path: ['typicalForm'], message: 'errors.typicalForm.mismatch' });
      }
    });
}

export type ReportInputSchema = ReturnType<typeof makeReportInputSchema>;
export type ReportInput = z.output<ReportInputSchema>;

export const statusQuerySchema = z.object({
  code: z.string({ error: 'errors.code.required' }).min(1, 'errors.code.required').max(100, 'errors.code.format'),
});
