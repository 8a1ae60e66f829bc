import { z } from 'zod';
import type { UploadLimits } from '../../config.js';
import { reporterMessageSchema } from '../../messages/schema.js';
import { statusQuerySchema, type ReportInputSchema } from '../../reports/schema.js';

const fieldErrorSchema = z.object({ field: z.string(), code: z.string(), message: z.string() });
const validationErrorSchema = z.object({ error: z.literal('validation'), message: z.string(), fields: z.array(fieldErrorSchema) });
const plainErrorSchema = z.object({ error: z.string(), message: z.string(), hotline: z.string() });
const receiptSchema = z.object({
  code: z.string().meta({ description: 'Tracking code, 20 digits in groups of four. Shown once; keep it safe.' }),
  status: z.string(),
  submittedAt: z.string(),
  files: z.array(z.string()).optional().meta({ description: 'Multipart submissions: the names of the files stored, metadata removed' }),
});
const statusSchema = z.object({
  status: z.enum(['received', 'verifying', 'investigating', 'concluded', 'not_accepted', 'transferred', 'merged']),
  statusLabel: z.string(),
  merged: z.boolean().meta({ description: 'Merged into a lead already being handled: the status and answers are that lead’s' }),
  submittedAt: z.string(),
  statusChangedAt: z.string(),
  updates: z.array(z.object({ body: z.string(), createdAt: z.string() })),
  files: z.array(z.string()).meta({ description: 'Names of the files this reporter sent; files cannot be downloaded through the API' }),
  messages: z
    .array(
      z.object({
        from: z.enum(['reporter', 'staff']),
        kind: z.enum(['info', 'answer', 'retaliation', 'question']),
        body: z.string(),
        createdAt: z.string(),
        awaitingAnswer: z.boolean().meta({ description: 'A staff question the reporter has not answered yet' }),
      }),
    )
    .optional()
    .meta({ description: 'The conversation with staff, oldest first, when there is one. Staff are never named.' }),
});

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) } },
});

/** OpenAPI 3.0 description of the JSON API, generated from the same zod schemas it validates with. */
/** The multipart form of a request that may carry files: its JSON body in one field, and files (src/attachments/). */
function withFiles(field: string, schema: z.ZodType, uploads: UploadLimits) {
  const mb = (bytes: number) => bytes / 1024 / 1024;
  return {
    ...json(schema, 'input').content,
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: [field],
        properties: {
          [field]: { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }), description: 'As the JSON body' },
          files: {
            type: 'array',
            maxItems: uploads.maxFiles,
            items: { type: 'string', format: 'binary' },
            description:
              `JPEG, PNG, WebP or PDF, decided from the bytes (a name or declared type counts for nothing); ` +
              `at most ${mb(uploads.maxFileBytes)} MB each and ${mb(uploads.maxTotalBytes)} MB in all. Images are re-encoded without ` +
              `EXIF/XMP/IPTC (GPS, camera, dates) after applying their orientation; PDFs are rebuilt without document information or XMP.`,
          },
        },
      },
      encoding: { [field]: { contentType: 'application/json' } },
    },
  };
}

export function openApiDocument(reportSchema: ReportInputSchema, uploads: UploadLimits) {
  const errors = {
    '400': { description: 'Invalid input; each failing field is listed', ...json(validationErrorSchema) },
    '413': { description: 'Body too large, or too many or too large files', ...json(plainErrorSchema) },
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
          requestBody: { required: true, content: withFiles('report', reportSchema, uploads) },
          responses: {
            '201': { description: 'Stored (with its files, if any); the tracking code is in the body', ...json(receiptSchema) },
            '200': { description: 'A retry of a stored submission (same Idempotency-Key)', ...json(receiptSchema) },
            '415': { description: 'A file of a kind not accepted (only JPEG, PNG, WebP and PDF), or a password-protected PDF; nothing stored', ...json(plainErrorSchema) },
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
      '/api/v1/status/messages': {
        post: {
          summary: 'Add information, answer a staff question, or report retaliation, by tracking code',
          requestBody: { required: true, content: withFiles('message', reporterMessageSchema, uploads) },
          responses: {
            '201': { description: 'Stored; the public status with the whole thread', ...json(statusSchema) },
            '404': { description: 'No report has this code', ...json(plainErrorSchema) },
            '409': { description: 'The report was transferred to another authority: call the hotline', ...json(plainErrorSchema) },
            ...errors,
          },
        },
      },
      '/healthz': { get: { summary: 'Database health', responses: { '200': { description: 'ok' }, '503': { description: 'database unavailable' } } } },
    },
  };
}
