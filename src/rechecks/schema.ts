import { z } from 'zod';
import type { RecheckMethod } from '../db/schema-households.js';
import { FIRST_PROGRAMME_YEAR } from '../households/schema.js';
import { CATEGORIES, text } from '../reports/schema.js';

// What the draw form and a re-check's record form accept. Error messages are catalog keys.

export const RECHECK_KINDS = ['recheck', 'spot_check'] as const;
export type RecheckKind = (typeof RECHECK_KINDS)[number];
export const RECHECK_METHODS = ['home_visit', 'phone', 'records', 'site'] as const satisfies readonly RecheckMethod[];

/**
 * The register's fields a re-check compares with what the household and the papers say, by the
 * register's own field keys (households.fields.*); payments and posting stand for their groups.
 */
export const RECHECK_FIELDS = ['householdType', 'dangerGrade', 'method', 'approvedYuan', 'payments', 'payeeName', 'acceptedOn', 'posting', 'archive'] as const;
export type RecheckField = (typeof RECHECK_FIELDS)[number];

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'errors.rechecks.date').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'errors.rechecks.date');
const blank = (v: unknown) => (v === '' || v === undefined ? undefined : v);

/** The draw form: the rate and minimum within the campaign file's own limits (src/campaign/schema.ts). */
export function makeDrawSchema(latestYear: number) {
  return z.object({
    kind: z.enum(RECHECK_KINDS, { error: 'errors.rechecks.kind' }),
    ratePercent: z.coerce.number({ error: 'errors.rechecks.rate' }).gt(0, 'errors.rechecks.rate').max(100, 'errors.rechecks.rate'),
    minimumPerVillage: z.coerce.number({ error: 'errors.rechecks.minimum' }).int('errors.rechecks.minimum').min(0, 'errors.rechecks.minimum').max(1000, 'errors.rechecks.minimum'),
    year: z.union([z.literal('all'), z.coerce.number().int().min(FIRST_PROGRAMME_YEAR).max(latestYear)], { error: 'errors.rechecks.year' }),
    forceFlagged: z.preprocess((v) => v === '1' || v === 'on', z.boolean()),
    // A number drawn in public may serve as the seed; otherwise a random one is made.
    seed: z.preprocess(blank, z.string().trim().regex(/^[\w-]{4,64}$/, 'errors.rechecks.seed').optional()),
  });
}

export interface RecordBounds {
  /** 'YYYY-MM-DD', China time: no re-check is recorded for a day to come… */
  today: string;
  /** …nor for a day before its draw. */
  drawnOn: string;
}

export interface ProblemRequest {
  category: (typeof CATEGORIES)[number];
  deadline: string;
}

export interface RecheckRecord {
  method: RecheckMethod;
  checkedOn: string;
  fields: Partial<Record<RecheckField, boolean>>;
  note: string;
  problem: ProblemRequest | null;
}

const checkValue = z.preprocess(blank, z.enum(['match', 'differ'], { error: 'errors.rechecks.check' }).optional());

/**
 * A re-check as recorded on the draw's page: each field matches, differs or was not checked (at
 * least one checked); a note is required as soon as one differs; "put it on the problem list"
 * needs a difference, a category and a deadline.
 */
export function makeRecordSchema(bounds: RecordBounds) {
  return z
    .object({
      method: z.enum(RECHECK_METHODS, { error: 'errors.rechecks.method' }),
      checkedOn: isoDay,
      check: z.object(Object.fromEntries(RECHECK_FIELDS.map((f) => [f, checkValue])) as Record<RecheckField, typeof checkValue>).default({} as never),
      note: z.preprocess((v) => v ?? '', text({ max: 2000 })),
      problem: z.preprocess((v) => v === '1' || v === 'on', z.boolean()),
      category: z.preprocess(blank, z.enum(CATEGORIES, { error: 'errors.category.required' }).optional()),
      deadline: z.preprocess(blank, isoDay.optional()),
    })
    .superRefine((v, ctx) => {
      if (v.checkedOn > bounds.today) ctx.addIssue({ code: 'custom', path: ['checkedOn'], message: 'errors.rechecks.future' });
      else if (v.checkedOn < bounds.drawnOn) ctx.addIssue({ code: 'custom', path: ['checkedOn'], message: 'errors.rechecks.beforeDraw', params: { date: bounds.drawnOn } });
      const checked = Object.values(v.check).filter(Boolean);
      if (checked.length === 0) ctx.addIssue({ code: 'custom', path: ['check'], message: 'errors.rechecks.nothingChecked' });
      const differs = checked.includes('differ');
      if (differs && v.note.length < 4) ctx.addIssue({ code: 'custom', path: ['note'], message: 'errors.rechecks.noteRequired' });
      if (v.problem) {
        if (!differs) ctx.addIssue({ code: 'custom', path: ['problem'], message: 'errors.rechecks.problemNeedsDifference' });
        if (!v.category) ctx.addIssue({ code: 'custom', path: ['category'], message: 'errors.category.required' });
        if (!v.deadline) ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'errors.rechecks.date' });
      }
    })
    .transform(
      (v): RecheckRecord => ({
        method: v.method,
        checkedOn: v.checkedOn,
        fields: Object.fromEntries(Object.entries(v.check).filter(([, c]) => c).map(([f, c]) => [f, c === 'match'])),
        note: v.note,
        problem: v.problem && v.category && v.deadline ? { category: v.category, deadline: v.deadline } : null,
      }),
    );
}

export const idParamsSchema = z.object({ id: z.string().regex(/^\d{1,18}$/) });
export const sheetQuerySchema = z.object({ village: z.string().regex(/^[a-z0-9-]{1,40}$/) });
