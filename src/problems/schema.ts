import { z } from 'zod';
import type { ProblemProgress } from '../db/schema.js';
import { CATEGORIES, text } from '../reports/schema.js';

export const PROGRESS = ['not_started', 'in_progress', 'done'] as const satisfies readonly ProblemProgress[];

const blank = (v: unknown) => (v === '' || v === undefined ? undefined : v);
const optionalOf = <T extends z.ZodType>(s: T) => z.preprocess(blank, s.optional());
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'errors.problems.date').refine((d) => !Number.isNaN(Date.parse(d)), 'errors.problems.date');
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

/** A row as a clerk enters it from a village's self-check, or an investigator from a lead. */
export function makeRowSchema(villages: readonly string[]) {
  return z.object({
    village: z.string().refine((v) => villages.includes(v), 'errors.problems.village'),
    category: z.enum(CATEGORIES, { error: 'errors.category.required' }),
    problem: text({ min: 4, max: 2000 }),
    measures: text({ min: 4, max: 2000 }),
    deadline: isoDay,
  });
}

export const progressSchema = z.object({
  progress: z.enum(PROGRESS, { error: 'errors.problems.progress' }),
  note: text({ min: 1, max: 2000 }),
});

/** From the lead page: a new row, or the lead added to an existing row of its village. */
export const linkExistingSchema = z.object({ row: z.string().regex(/^\d{1,18}$/, 'errors.problems.row') });

export const filingSchema = (villages: readonly string[]) =>
  z.object({
    village: z.string().refine((v) => villages.includes(v), 'errors.problems.village'),
    month: monthSchema,
    secretary: text({ min: 2, max: 40 }),
    residentLeader: text({ min: 2, max: 40 }),
    clerkName: text({ min: 2, max: 40 }),
    filedOn: isoDay,
  });

/** The list's filters, from the query string; anything malformed is ignored. */
export const listQuerySchema = z.object({
  village: optionalOf(z.string().max(40)).catch(undefined),
  category: optionalOf(z.enum(CATEGORIES)).catch(undefined),
  progress: optionalOf(z.enum(PROGRESS)).catch(undefined),
  overdue: optionalOf(z.literal('1')).catch(undefined),
  source: optionalOf(z.enum(['lead', 'self_check', 'register'])).catch(undefined),
});

export const rowIdSchema = z.object({ id: z.string().regex(/^\d{1,18}$/) });
