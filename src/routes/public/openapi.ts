import { z } from 'zod';
import { statusQuerySchema, type ReportInputSchema } from '../../reports/schema.js';

const fieldErrorSchema = z.object({ field: z.string(), code: z.string(), message: z.string() });
const validationErrorSchema = z.object({ error: z.literal('validation'), message: z.string(), fields: z.array(fieldErrorSchema) });
const plainErrorSchema = z.object({ error: z.string(), message: z.string(), hotline: z.string() });
const receiptSchema = z.object({
  code: z.string().meta({ description: 'Tracking code, 20 digits in groups of four. Shown once; keep it safe.' }),
  status: z.string(),
  submittedAt: z.string(),
});
const statusSchema = z.object({
  status: z.enum(['received', 'verifying', 'investigating', 'concluded', 'not_accepted', 'transferred', 'merged']),
  statusLabel: z.string(),
  merged: z.boolean().meta({ description: 'Merged into a lead already being handled: the status and answers are that lead’s' }),
  submittedAt: z.string(),
  statusChangedAt: z.string(),
  updates: z.array(z.object({ body: z.string(), createdAt: z.string() })),
});

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) } },
});

/** OpenAPI 3.0 description of the JSON API, generated from the same zod schemas it validates with. */
export function openApiDocument(reportSchema: ReportInputSchema) {
  const errors = {
    '400': { description: 'Invalid input; each failing field is listed', ...json(validationErrorSchema) },
    '413': { description: 'Body too large', ...json(plainErrorSchema) },
    '429': { description: 'Too many requests from this address', ...json(plainErrorSchema) },
    '503': { description: 'Database unavailable: call the hotline', ...json(plainErrorSchema) },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'Anonymous reporting portal API', version: '1' },
    paths: {
      '/api/v1/reports': {
        post: {
          summary: 'Submit a report',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: '16–64 URL-safe characters; a retry with the same key and body returns the same code',
              schema: { type: 'string' },
            },
          ],
          requestBody: { required: true, ...json(reportSchema, 'input') },
          responses: {
            '201': { description: 'Stored; the tracking code is in the body', ...json(receiptSchema) },
            '200': { description: 'A retry of a stored submission (same Idempotency-Key)', ...json(receiptSchema) },
            ...errors,
          },
        },
      },
      '/api/v1/status': {
        post: {
          summary: 'Look a report up by its tracking code (spaces, dashes and full-width digits accepted)',
          requestBody: { required: true, ...json(statusQuerySchema, 'input') },
          responses: {
            '200': { description: 'Public status and updates', ...json(statusSchema) },
            '404': { description: 'No report has this code', ...json(plainErrorSchema) },
            ...errors,
          },
        },
      },
      '/healthz': { get: { summary: 'Database health', responses: { '200': { description: 'ok' }, '503': { description: 'database unavailable' } } } },
    },
  };
}
