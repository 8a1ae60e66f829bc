import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PublicContext } from './context.js';
import { statusQuerySchema } from '../../reports/schema.js';
import { KIND_PROBLEMS, reporterMessageSchema } from '../../messages/schema.js';
import { postReporterMessage, reporterThread } from '../../messages/service.js';
import { lookupStatus, type StatusLookup } from '../../reports/service.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import { registerUploads } from './upload.js';
import reportApiRoutes, { cleanApiFiles, readApiUpload } from './api-uploads.js';
import { openApiDocument } from './openapi.js';

function validationFailed(reply: FastifyReply, fields: FieldError[]) {
  return reply.code(400).send({ error: 'validation', message: reply.request.t('errors.page.400.body'), fields });
}

type Found = Extract<StatusLookup, { kind: 'found' }>;

/** What the reporter may see, as JSON: the thread only when there is one, and never a staff name. */
function statusBody(request: FastifyRequest, r: Found) {
  return {
    status: r.status,
    statusLabel: request.t(`statuses.${r.status}.label`),
    merged: r.merged,
    submittedAt: r.submittedAt.toISOString(),
    statusChangedAt: r.statusChangedAt.toISOString(),
    updates: r.updates.map((u) => ({ body: u.body, createdAt: u.createdAt.toISOString() })),
    files: r.files,
    ...(r.thread.length
      ? {
          messages: r.thread.map((m) => ({
            from: m.kind === 'question' ? 'staff' : 'reporter',
            kind: m.kind,
            body: m.body,
            createdAt: m.createdAt.toISOString(),
            awaitingAnswer: m.awaitingAnswer,
          })),
        }
      : {}),
  };
}

// The JSON API: the same schemas and services as the forms.
export default async function apiRoutes(app: FastifyInstance, ctx: PublicContext) {
  const document = openApiDocument(ctx.reportSchema, ctx.uploads);
  app.get('/openapi.json', async () => document);

  // Report submissions, with their files (a scope of their own: multipart is accepted there only).
  await app.register((scope) => reportApiRoutes(scope, ctx));

  /** The code check shared by the lookup and messages: the found report, or null once the error is sent. */
  async function find(reply: FastifyReply, code: string): Promise<Found | null> {
    const { request } = reply;
    const result = await lookupStatus(ctx.db, ctx.keys, code);
    if (result.kind === 'invalid') {
      const field = `code.${result.reason}`;
      validationFailed(reply, [{ field: 'code', code: field, message: request.t(`errors.${field}`) }]);
      return null;
    }
    if (result.kind === 'notFound') {
      await app.limits.failedLookup(request);
      reply.code(404).send({
        error: 'not_found',
        message: request.t('status.notFound'),
        hotline: ctx.campaign.hotlines[0]!.number,
      });
      return null;
    }
    return result;
  }

  app.post('/status', { preHandler: app.limits.lookup }, async (request, reply) => {
    const parsed = statusQuerySchema.safeParse(request.body ?? {});
    if (!parsed.success) return validationFailed(reply, fieldErrors(parsed.error, request.t));
    const found = await find(reply, parsed.data.code);
    return found ? statusBody(request, found) : reply;
  });

  // A message counts as a lookup (the code) and as a submission (the text), as on the status page.
  // Messages may carry files: JSON, or multipart with the JSON in `message` and the files. In a
  // scope of its own, as the report route: only these two accept multipart.
  await app.register(async (scope) => {
    await registerUploads(scope);
    scope.post('/status/messages', { preHandler: [app.limits.lookup, app.limits.submit] }, async (request, reply) => {
      const upload = await readApiUpload(request, reply, ctx.uploads, 'message');
      if (!upload) return reply;
      const parsed = reporterMessageSchema.safeParse(upload.body);
      if (!parsed.success) return validationFailed(reply, fieldErrors(parsed.error, request.t));
      const found = await find(reply, parsed.data.code);
      if (!found) return reply;
      const files = await cleanApiFiles(reply, ctx.uploads, upload.files);
      if (!files) return reply;
      const problem = await postReporterMessage(ctx.db, found, parsed.data, { key: ctx.attachmentKey, files });
      if (problem === 'closed') {
        return reply.code(409).send({ error: 'conflict', message: request.t('messages.closed'), hotline: ctx.campaign.hotlines[0]!.number });
      }
      if (problem) {
        const key = KIND_PROBLEMS[problem];
        return validationFailed(reply, [{ field: 'kind', code: key.slice('errors.'.length), message: request.t(key) }]);
      }
      const thread = await reporterThread(ctx.db, found.reportId);
      return reply.code(201).send(statusBody(request, { ...found, thread, files: [...found.files, ...files.map((f) => f.name)] }));
    });
  });
}
