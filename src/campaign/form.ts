import { z } from 'zod';
import type { EditableField } from './store.js';
import { phoneSchema, text } from '../reports/schema.js';
import { toHalfWidth } from '../lib/text.js';

// The staff form for the campaign settings: one form per field, the field's inputs named by their
// path in the campaign object ("hotlines.0.number"), so that a zod issue's path is the input's name
// and its error lands next to it. Lists (hotlines, villages, phases) get one blank row to add an
// entry; clearing every input of a row removes it.

type InputType = 'text' | 'date' | 'number' | 'textarea';
interface InputSpec {
  /** Path inside one entry (lists) or inside the field. */
  path: string;
  /** Catalog key under staff.campaign.inputs. */
  label: string;
  type: InputType;
}

const localized = (path: string, label: string, type: InputType = 'text'): InputSpec[] => [
  { path: `${path}.zh-CN`, label: `${label}Zh`, type },
  { path: `${path}.en`, label: `${label}En`, type },
];

export const FORM_SPECS: Record<EditableField, { list: boolean; inputs: InputSpec[] }> = {
  hotlines: { list: true, inputs: [...localized('label', 'hotlineLabel'), { path: 'number', label: 'hotlineNumber', type: 'text' }] },
  contact: {
    list: false,
    inputs: [
      { path: 'zh-CN', label: 'contactZh', type: 'text' },
      { path: 'en', label: 'contactEn', type: 'text' },
    ],
  },
  office: { list: false, inputs: [...localized('address', 'address'), ...localized('hours', 'hours')] },
  villages: { list: true, inputs: [{ path: 'id', label: 'villageId', type: 'text' }, ...localized('name', 'villageName')] },
  phases: {
    list: true,
    inputs: [
      ...localized('name', 'phaseName'),
      { path: 'start', label: 'phaseStart', type: 'date' },
      { path: 'end', label: 'phaseEnd', type: 'date' },
      ...localized('description', 'phaseDescription', 'textarea'),
    ],
  },
  deadlines: {
    list: false,
    inputs: ['acceptWorkingDays', 'concludeCalendarDays', 'transferWorkingDays', 'feedbackWorkingDays'].map((path) => ({ path, label: path, type: 'number' as const })),
  },
  lookback: { list: false, inputs: ['ratePercent', 'minimum'].map((path) => ({ path, label: path, type: 'number' as const })) },
};

const localizedSchema = (max: number) => z.object({ 'zh-CN': text({ min: 1, max }), en: text({ min: 1, max }) });

// As staff write a number on the phone or on paper: full-width digits, spaces and any kind of dash
// are accepted and shown normalized ("０２３－６７１６　６１０６" → "023-6716 6106"). Short service
// numbers such as the discipline commissions' 12388 are valid too.
export const hotlineNumberSchema = z.string({ error: 'errors.phone.invalid' }).transform((raw, ctx) => {
  const shown = toHalfWidth(raw)
    .replace(/[‐‑‒–—―]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/\s*-\s*/g, '-')
    .trim();
  const service = /^1\d{4}$/.test(shown);
  if (!/^[\d -]{5,20}$/.test(shown) || !(service || phoneSchema.safeParse(shown).success)) {
    ctx.addIssue({ code: 'custom', message: 'errors.phone.invalid' });
  }
  return shown;
});

const dateSchema = z.string({ error: 'errors.campaign.date' }).transform((raw, ctx) => {
  const day = toHalfWidth(raw).trim();
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(day) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day);
  if (!valid) ctx.addIssue({ code: 'custom', message: 'errors.campaign.date' });
  return day;
});

const daysSchema = (min: number, max: number) =>
  z.string({ error: 'errors.campaign.range' }).transform((raw, ctx) => {
    const s = toHalfWidth(raw).trim();
    const n = Number(s);
    if (!/^\d{1,4}$/.test(s) || n < min || n > max) ctx.addIssue({ code: 'custom', message: 'errors.campaign.range', params: { min, max } });
    return n;
  });

// The look-back sample rate: the seed asks for at least 1%; a fraction such as 0.5 is allowed.
const percentSchema = z.string({ error: 'errors.campaign.percent' }).transform((raw, ctx) => {
  const s = toHalfWidth(raw).trim().replace(/%$/, '');
  const n = Number(s);
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(s) || n <= 0 || n > 100) ctx.addIssue({ code: 'custom', message: 'errors.campaign.percent' });
  return n;
});

const atLeastOne = { error: 'errors.campaign.atLeastOne' } as const;

const fieldSchemas = {
  hotlines: z.array(z.object({ label: localizedSchema(40), number: hotlineNumberSchema })).min(1, atLeastOne),
  contact: localizedSchema(40),
  office: z.object({ address: localizedSchema(200), hours: localizedSchema(200) }),
  villages: z
    .array(
      z.object({
        id: z
          .string()
          .transform((v) => toHalfWidth(v).trim().toLowerCase())
          .pipe(z.string().regex(/^[a-z0-9-]{1,40}$/, 'errors.campaign.villageId').refine((v) => v !== 'other', 'errors.campaign.villageReserved')),
        name: localizedSchema(40),
      }),
    )
    .min(1, atLeastOne)
    .superRefine((villages, ctx) => {
      villages.forEach((v, i) => {
        if (villages.findIndex((w) => w.id === v.id) !== i) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: 'errors.campaign.villageDuplicate' });
      });
    }),
  phases: z
    .array(
      z
        .object({ name: localizedSchema(40), start: dateSchema, end: dateSchema, description: localizedSchema(500) })
        .refine((p) => p.start <= p.end, { path: ['end'], message: 'errors.campaign.phaseOrder' }),
    )
    .min(1, atLeastOne),
  deadlines: z.object({
    acceptWorkingDays: daysSchema(1, 90),
    concludeCalendarDays: daysSchema(1, 365),
    transferWorkingDays: daysSchema(1, 30),
    feedbackWorkingDays: daysSchema(1, 90),
  }),
  lookback: z.object({ ratePercent: percentSchema, minimum: daysSchema(0, 1000) }),
} satisfies Record<EditableField, z.ZodType>;

/** The field's schema, wrapped so that issue paths start with the field's name (= the input names). */
export function fieldFormSchema<F extends EditableField>(field: F) {
  return z.object({ [field]: fieldSchemas[field] } as { [K in F]: (typeof fieldSchemas)[K] });
}

function setPath(target: Record<string, unknown>, path: string, value: string) {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

function getPath(source: unknown, path: string): string {
  const value = path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], source);
  return value === undefined || value === null ? '' : String(value);
}

/**
 * The posted inputs of one field as the object the schema reads: list rows in their order, rows
 * left wholly blank dropped (which is how an entry is removed).
 */
export function formToField(field: EditableField, body: Record<string, unknown>): unknown {
  const spec = FORM_SPECS[field];
  const value = (name: string) => {
    const v = body[name];
    return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
  };
  if (!spec.list) {
    const out: Record<string, unknown> = {};
    for (const input of spec.inputs) setPath(out, input.path, value(`${field}.${input.path}`));
    return out;
  }
  const indexes = new Set<number>();
  for (const key of Object.keys(body)) {
    const m = new RegExp(`^${field}\\.(\\d{1,3})\\.`).exec(key);
    if (m) indexes.add(Number(m[1]));
  }
  return [...indexes]
    .sort((a, b) => a - b)
    .map((i) => {
      const row: Record<string, unknown> = {};
      for (const input of spec.inputs) setPath(row, input.path, value(`${field}.${i}.${input.path}`));
      return row;
    })
    .filter((row) => spec.inputs.some((input) => getPath(row, input.path).trim() !== ''));
}

export interface FormInput {
  name: string;
  label: string;
  type: InputType;
  value: string;
  error: string | undefined;
}

/** The inputs of one field's form, filled from `value` (the campaign's, or what was posted). */
export function fieldInputs(field: EditableField, value: unknown, errors: Record<string, string>): { rows: FormInput[][] } {
  const spec = FORM_SPECS[field];
  const row = (source: unknown, prefix: string) =>
    spec.inputs.map((input) => {
      const name = `${prefix}.${input.path}`;
      return { name, label: input.label, type: input.type, value: getPath(source, input.path), error: errors[name] };
    });
  if (!spec.list) return { rows: [row(value, field)] };
  const entries = Array.isArray(value) ? value : [];
  return { rows: [...entries, {}].map((entry, i) => row(entry, `${field}.${i}`)) };
}
