import { z } from 'zod';
import { CATEGORIES, text } from '../reports/schema.js';
import { chinaDate } from '../calendar/work-calendar.js';
import { OUTCOMES } from './workflow.js';

export const STATUSES = ['received', 'verifying', 'investigating', 'concluded', 'not_accepted', 'transferred', 'merged'] as const;
export const CHANNELS = ['web', 'hotline', 'reception', 'visit', 'phone_followup', 'letter', 'audit', 'inspection', 'self_check'] as const;
export const STAFF_CHANNELS = CHANNELS.filter((c) => c !== 'web');

const blank = (v: unknown) => (v === '' || v === undefined ? undefined : v);
const optionalOf = <T extends z.ZodType>(s: T) => z.preprocess(blank, s.optional());
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** The queue's filters, from the query string. Anything malformed is ignored rather than refused. */
export const queueQuerySchema = z.object({
  status: optionalOf(z.enum(STATUSES)).catch(undefined),
  category: optionalOf(z.enum(CATEGORIES)).catch(undefined),
  village: optionalOf(z.string().max(40)).catch(undefined),
  channel: optionalOf(z.enum(CHANNELS)).catch(undefined),
  assignee: optionalOf(z.string().regex(/^(\d{1,18}|none|me)$/)).catch(undefined),
  overdue: optionalOf(z.literal('1')).catch(undefined),
  soon: optionalOf(z.literal('1')).catch(undefined),
  flagged: optionalOf(z.literal('1')).catch(undefined),
  from: optionalOf(isoDay).catch(undefined),
  to: optionalOf(isoDay).catch(undefined),
  q: optionalOf(z.string().trim().max(100)).catch(undefined),
  after: optionalOf(z.string().regex(/^[0-2]~(\d{4}-\d{2}-\d{2}|-)~\d{1,18}$/)).catch(undefined),
});

export const statusChangeSchema = z.object({
  version: z.coerce.number().int().min(1),
  to: z.enum(STATUSES, { error: 'errors.workflow.illegal' }),
  outcome: optionalOf(z.enum(OUTCOMES, { error: 'errors.workflow.outcomeRequired' })),
  reason: optionalOf(text({ max: 500 })),
  transferredTo: optionalOf(text({ max: 200 })),
  publicUpdate: optionalOf(text({ max: 2000 })),
  note: optionalOf(text({ max: 5000 })),
  clearing: optionalOf(text({ max: 2000 })),
});

export const assignSchema = z.object({
  version: z.coerce.number().int().min(1),
  assignee: z.string().regex(/^(\d{1,18}|none)$/),
});

export const prioritySchema = z.object({
  version: z.coerce.number().int().min(1),
  priority: z.coerce.number().int().min(1).max(3),
});

export const noteSchema = z.object({ note: text({ min: 1, max: 5000 }) });

export const leadIdSchema = z.object({ id: z.string().regex(/^\d{1,18}$/) });

export const verifySchema = z.object({
  version: z.coerce.number().int().min(1),
  how: z.enum(['phone', 'in_person'], { error: 'errors.identity.how' }),
});

export const versionSchema = z.object({ version: z.coerce.number().int().min(1) });

export const mergeSchema = z.object({
  version: z.coerce.number().int().min(1),
  into: z.string().trim().regex(/^\d{1,18}$/, 'errors.merge.target'),
});

export const revealSchema = z.object({ reason: text({ min: 4, max: 500 }) });

/** What a clerk adds to a report taken by phone, at a reception day, from a letter… */
export const intakeSchema = z.object({
  channel: z.enum(STAFF_CHANNELS as [string, ...string[]], { error: 'errors.intake.channel' }),
  receivedOn: z
    .string({ error: 'errors.intake.receivedOn' })
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'errors.intake.receivedOn')
    .refine((d) => d >= '2017-01-01' && d <= chinaDate(new Date()), 'errors.intake.receivedOn'),
});
