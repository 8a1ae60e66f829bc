import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PublicContext } from './context.js';
import { PROBLEM_STATUS, UploadRejected, type CleanFile, type Upload } from '../../attachments/clean.js';
import { cleanOrReject, readUploadForm, registerUploads, uploadError, uploadProblem } from './upload.js';
import { formatCode } from '../../lib/codes.js';
import type { UploadLimits } from '../../config.js';
import { submitReport } from '../../reports/submit.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';

// The API routes that take files: a JSON body as before, or multipart/form-data with that JSON in
// one field (`report`, `message`) and the files in `files`, handled exactly as the forms' are.

function refuse(reply: FastifyReply, status: number, fields: FieldError[]) {
  const t = reply.request.t;
  if (status === 400) return reply.code(400).send({ error: 'validation', message: t('errors.page.400.body'), fields });
  // A refused file is told in its own words, with the hotline as every other refusal.
  const hotline = reply.request.server.campaign.hotlines[0]!.number;
  return reply.code(status).send({ error: t(`errors.page.${status}.code`), message: fields[0]!.message, hotline, fields });
}

function jsonFrom(value: unknown): unknown {
  try {
    return JSON.parse(formString(value));
  } catch {
    return undefined;
  }
}

/** The request's JSON (from the body, or from `field` of a multipart body) and its files; null once a refusal is sent. */
export async function readApiUpload(request: FastifyRequest, reply: FastifyReply, uploads: UploadLimits, field: string) {
  const upload = await readUploadForm(request, reply, uploads);
  const problem = await uploadProblem(upload);
  if (problem) {
    refuse(reply, PROBLEM_STATUS[problem.problem], [uploadError(problem, request.t, uploads)]);
    return null;
  }
  return { body: (request.isMultipart() ? jsonFrom(upload.fields[field]) : upload.fields) ?? {}, files: upload.files };
}

/** The files cleaned of their metadata; null once a refusal is sent. */
export async function cleanApiFiles(reply: FastifyReply, uploads: UploadLimits, files: Upload[]): Promise<CleanFile[] | null> {
  const cleaned = await cleanOrReject(files);
  if (!(cleaned instanceof UploadRejected)) return cleaned;
  refuse(reply, PROBLEM_STATUS[cleaned.problem], [uploadError(cleaned, reply.request.t, uploads)]);
  return null;
}

// POST /api/v1/reports; registered in a scope of its own, as only the routes that take files accept multipart.
export default async function reportApiRoutes(app: FastifyInstance, ctx: PublicContext) {
  await registerUploads(app);

  app.post('/reports', { preHandler: app.limits.submit }, async (request, reply) => {
    const upload = await readApiUpload(request, reply, ctx.uploads, 'report');
    if (!upload) return reply;
    const parsed = ctx.reportSchema.safeParse(upload.body);
    if (!parsed.success) return refuse(reply, 400, fieldErrors(parsed.error, request.t));
    const files = await cleanApiFiles(reply, ctx.uploads, upload.files);
    if (!files) return reply;
    // An Idempotency-Key makes a retried request return the first report's code.
    const key = request.headers['idempotency-key'];
    const token = typeof key === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(key) ? key : undefined;
    const result = await submitReport(ctx.db, ctx.keys, ctx.rules, parsed.data, { token }, { key: ctx.attachmentKey, files });
    return reply.code(result.replayed ? 200 : 201).send({
      code: formatCode(result.code),
      status: result.status,
      submittedAt: result.submittedAt.toISOString(),
      ...(files.length ? { files: files.map((f) => f.name) } : {}),
    });
  });
}
