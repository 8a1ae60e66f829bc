import { z } from 'zod';
import type { Campaign, RegisterListItem } from '../campaign/schema.js';
import { phoneSchema, text } from '../reports/schema.js';
import { toHalfWidth } from '../lib/text.js';
import { parseIdNumber } from './id-number.js';

// One declaration of a household record (对象户), used by the staff form, the import (each row of a
// village's sheet) and the types. Values arrive as people and sheets write them — full-width
// digits, 元 or 万元, Chinese or ISO dates, a list item's name or alias — and leave normalized.
// Messages are catalog keys (errors.households.*), translated at the edge.

export const FIRST_PROGRAMME_YEAR = 2017;
export const MAX_YUAN = 10_000_000;
export const MAX_PAYMENTS = 6;

/** A date as typed or exported: 2023-05-12, 2023/5/12, 2023.5.12, 2023年5月12日, 20230512. */
export function parseDate(input: string): string | null {
  const s = toHalfWidth(input).trim().replace(/\s+/g, '');
  const m = /^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? m[4]), Number(m[3] ?? m[5])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 2000 || y > 2100 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** An amount in yuan as written: 12000, 12,000.00, ￥12000, 12000元, 1.2万元, １２０００. */
export function parseYuan(input: string): string | null {
  const s = toHalfWidth(input).trim().replace(/[\s,，¥￥]/g, '');
  const m = /^(\d+(?:\.\d+)?)(万元|万|元)?$/.exec(s);
  if (!m) return null;
  const cents = Math.round(Number(m[1]) * (m[2]?.startsWith('万') ? 10_000 : 1) * 100);
  if (!Number.isSafeInteger(cents)) return null;
  return (cents / 100).toFixed(2);
}

const plainName = (text: string) => toHalfWidth(text).replace(/\s+/g, '').toLowerCase();

// Each list's names, made plain once: the import looks up two list items on every row.
const listIndexes = new WeakMap<readonly RegisterListItem[], Map<string, RegisterListItem>>();

function listIndex(items: readonly RegisterListItem[]): Map<string, RegisterListItem> {
  let index = listIndexes.get(items);
  if (!index) {
    index = new Map();
    for (const item of items) {
      for (const name of [item.key, item.name['zh-CN'], item.name.en, ...item.aliases]) {
        const plain = plainName(name);
        if (!index.has(plain)) index.set(plain, item);
      }
    }
    listIndexes.set(items, index);
  }
  return index;
}

/** A list item (household type, method, archive item) by key, name in either language, or alias. */
export function findListItem(items: readonly RegisterListItem[], input: string): RegisterListItem | undefined {
  const s = plainName(input);
  if (!s) return undefined;
  return listIndex(items).get(s);
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function optionalDate(message = 'errors.households.date') {
  return z.preprocess((v) => (blank(v) ? undefined : v), z.string().optional()).transform((raw, ctx) => {
    if (raw === undefined) return null;
    const date = parseDate(raw);
    if (!date) ctx.addIssue({ code: 'custom', message });
    return date;
  });
}

function yuan(opts: { min: number; required: boolean }) {
  return z.preprocess((v) => (blank(v) ? undefined : typeof v === 'number' ? String(v) : v), z.string().optional()).transform((raw, ctx) => {
    if (raw === undefined) {
      if (opts.required) ctx.addIssue({ code: 'custom', message: 'errors.households.required' });
      return '0.00';
    }
    const amount = parseYuan(raw);
    if (amount === null) ctx.addIssue({ code: 'custom', message: 'errors.households.amount' });
    else if (Number(amount) < opts.min || Number(amount) > MAX_YUAN) {
      ctx.addIssue({ code: 'custom', message: 'errors.households.amountRange', params: { max: MAX_YUAN } });
    }
    return amount ?? '0.00';
  });
}

function listKey(items: () => readonly RegisterListItem[], message: string) {
  return z.string({ error: 'errors.households.required' }).transform((raw, ctx) => {
    if (raw.trim() === '') {
      ctx.addIssue({ code: 'custom', message: 'errors.households.required' });
      return '';
    }
    const item = findListItem(items(), raw);
    if (!item) ctx.addIssue({ code: 'custom', message, params: { value: raw.slice(0, 40) } });
    return item?.key ?? '';
  });
}

/** Yes/no as a sheet says it: 有/无, 是/否, √/×, Y/N, 1/0, true/false. */
export function parseYesNo(input: unknown): boolean | null {
  if (typeof input === 'boolean') return input;
  const s = toHalfWidth(String(input ?? '')).trim().toLowerCase();
  if (['有', '是', '√', '✓', '✔', 'y', 'yes', '1', 'true', 'on', '齐全', '已有'].includes(s)) return true;
  if (['无', '否', '×', '✗', 'x', 'n', 'no', '0', 'false', '', '缺', '缺失', '没有'].includes(s)) return false;
  return null;
}

export const paymentSchema = z.object({
  paidOn: z.string({ error: 'errors.households.required' }).transform((raw, ctx) => {
    const date = parseDate(raw);
    if (!date) ctx.addIssue({ code: 'custom', message: raw.trim() ? 'errors.households.date' : 'errors.households.required' });
    return date ?? '';
  }),
  amountYuan: yuan({ min: 0.01, required: true }),
  payeeName: text({ min: 1, max: 50 }),
  channel: z.preprocess((v) => (blank(v) ? '' : v), text({ max: 40 })),
});
export type PaymentInput = z.output<typeof paymentSchema>;

/** The schema of one household record, with the villages and lists in force. */
export function makeHouseholdSchema(campaign: () => Campaign) {
  const register = () => campaign().register;
  return z
    .object({
      village: z.string({ error: 'errors.households.village' }).refine((v) => campaign().villages.some((x) => x.id === v), 'errors.households.village'),
      villageGroup: z.preprocess((v) => (blank(v) ? '' : v), text({ max: 40 })),
      headName: text({ min: 1, max: 50 }),
      idNumber: z.string({ error: 'errors.households.required' }).transform((raw, ctx) => {
        const parsed = parseIdNumber(raw);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: raw.trim() ? `errors.households.id.${parsed.reason}` : 'errors.households.required' });
        return parsed.ok ? parsed.id : '';
      }),
      phone: z.preprocess((v) => (blank(v) ? undefined : v), phoneSchema.optional()).transform((v) => v ?? null),
      householdType: listKey(() => register().householdTypes, 'errors.households.type'),
      dangerGrade: z.string({ error: 'errors.households.grade' }).transform((raw, ctx) => {
        const grade = toHalfWidth(raw).trim().toUpperCase().replace(/级$/, '');
        if (grade !== 'C' && grade !== 'D') ctx.addIssue({ code: 'custom', message: 'errors.households.grade' });
        return grade as 'C' | 'D';
      }),
      method: listKey(() => register().methods, 'errors.households.method'),
      programmeYear: z.union([z.string(), z.number()], { error: 'errors.households.year' }).transform((raw, ctx) => {
        const year = Number(toHalfWidth(String(raw)).trim().replace(/年(度)?$/, ''));
        if (!Number.isInteger(year) || year < FIRST_PROGRAMME_YEAR || year > new Date().getFullYear()) {
          ctx.addIssue({ code: 'custom', message: 'errors.households.year', params: { first: FIRST_PROGRAMME_YEAR } });
        }
        return year;
      }),
      approvedYuan: yuan({ min: 0, required: true }),
      acceptedOn: optionalDate(),
      postedVillageFrom: optionalDate(),
      postedVillageTo: optionalDate(),
      postedTownFrom: optionalDate(),
      postedTownTo: optionalDate(),
      archive: z.record(z.string(), z.unknown()).default({}).transform((raw, ctx) => {
        const out: Record<string, boolean> = {};
        for (const item of register().archiveItems) {
          const value = parseYesNo(raw[item.key]);
          if (value === null) ctx.addIssue({ code: 'custom', message: 'errors.households.yesNo', path: [item.key] });
          out[item.key] = value ?? false;
        }
        return out;
      }),
      proxyReason: z.preprocess((v) => (blank(v) ? undefined : v), text({ max: 200 }).optional()).transform((v) => v ?? null),
      payments: z.array(paymentSchema).max(MAX_PAYMENTS, 'errors.households.payments').default([]),
    })
    .superRefine((h, ctx) => {
      for (const [from, to] of [['postedVillageFrom', 'postedVillageTo'], ['postedTownFrom', 'postedTownTo']] as const) {
        if (h[from] && h[to] && h[to] < h[from]) ctx.addIssue({ code: 'custom', message: 'errors.households.dateOrder', path: [to] });
      }
    });
}

export type HouseholdSchema = ReturnType<typeof makeHouseholdSchema>;
export type HouseholdInput = z.output<HouseholdSchema>;

/** The register list's filters, as its GET form sends them (unknown values are dropped, not refused). */
export const registerQuerySchema = z.object({
  village: z.string().max(40).optional().catch(undefined),
  flag: z.string().max(40).optional().catch(undefined),
  year: z.coerce.number().int().min(FIRST_PROGRAMME_YEAR).max(2100).optional().catch(undefined),
  name: z.string().max(50).optional().catch(undefined),
  recheck: z.string().max(20).optional().catch(undefined),
  before: z.string().regex(/^\d{1,18}$/).optional().catch(undefined),
});

export type RegisterQuery = z.infer<typeof registerQuerySchema>;

export const householdIdSchema = z.object({ id: z.string().regex(/^\d{1,18}$/) });
export const importIdSchema = householdIdSchema;
export const flagParamsSchema = z.object({ id: z.string().regex(/^\d{1,18}$/), flagId: z.string().regex(/^\d{1,18}$/) });
export const revealSchema = z.object({ reason: text({ min: 4, max: 200 }) });
export const clearFlagSchema = z.object({ note: text({ min: 4, max: 500 }) });

/** A subsidy standard as the settings form sends it. */
export function makeStandardSchema(campaign: () => Campaign) {
  const register = () => campaign().register;
  const year = z.coerce.number({ error: 'errors.households.year' }).int().min(FIRST_PROGRAMME_YEAR, 'errors.households.year').max(2100, 'errors.households.year');
  return z
    .object({
      householdType: listKey(() => register().householdTypes, 'errors.households.type'),
      dangerGrade: z.enum(['C', 'D'], { error: 'errors.households.grade' }),
      method: listKey(() => register().methods, 'errors.households.method'),
      yearFrom: year,
      yearTo: year,
      amountYuan: yuan({ min: 0, required: true }),
    })
    .refine((s) => s.yearTo >= s.yearFrom, { message: 'errors.households.yearOrder', path: ['yearTo'] });
}

/** The lead's household search: a village and part of a name, or the last 4 of an ID number. */
export const linkQuerySchema = z.object({
  village: z.string().max(40).optional().catch(undefined),
  q: z.string().max(50).optional().catch(undefined),
});
