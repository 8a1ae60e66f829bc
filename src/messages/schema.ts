import { z } from 'zod';
import { LIMITS, statusQuerySchema, text } from '../reports/schema.js';

// The conversation by tracking code: one declaration for the status page's form, the JSON API and
// the OpenAPI document. A reporter's message is held to the report description's rules.

/** What a reporter may send: more information, an answer to a question, or a report of retaliation. */
export const REPORTER_KINDS = ['info', 'answer', 'retaliation'] as const;
export type ReporterKind = (typeof REPORTER_KINDS)[number];

export const reporterMessageSchema = z.object({
  code: statusQuerySchema.shape.code,
  text: text(LIMITS.description).meta({ description: `The message: ${LIMITS.description.min} to ${LIMITS.description.max} characters, as a report’s description` }),
  kind: z
    .enum(REPORTER_KINDS, { error: 'errors.message.kind' })
    .default('info')
    .meta({ description: 'info (the default); answer: answers the oldest open question; retaliation: only once the lead is concluded' }),
});

export type ReporterMessage = z.output<typeof reporterMessageSchema>;

/** The status page's message form: the report is known from the page's view token, not a code. */
export const pageMessageSchema = reporterMessageSchema.omit({ code: true });

/** Field errors for a kind of message the lead's state refuses (catalog keys). */
export const KIND_PROBLEMS = { noQuestion: 'errors.message.noQuestion', tooEarly: 'errors.message.tooEarly' } as const;

/** A question staff ask the reporter (on the lead page). */
export const questionSchema = z.object({
  version: z.coerce.number().int().min(1),
  question: text({ min: 1, max: 2000 }),
});
