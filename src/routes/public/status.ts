import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PublicContext } from './context.js';
import { PROBLEM_STATUS, UploadRejected } from '../../attachments/clean.js';
import { cleanOrReject, readUploadForm, registerUploads, uploadError, uploadHint, uploadProblem } from './upload.js';
import { KIND_PROBLEMS, pageMessageSchema, type ReporterKind } from '../../messages/schema.js';
import { offeredKinds, postReporterMessage, reporterThread } from '../../messages/service.js';
import { LIMITS } from '../../reports/schema.js';
import { lookupStatus, lookupStatusView, type StatusLookup } from '../../reports/service.js';
import { cleanText } from '../../lib/text.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';

type Found = Extract<StatusLookup, { kind: 'found' }>;

interface MessageForm {
  values?: { text: string; kind: string };
  errors?: FieldError[];
  /** The kind of message just stored, for the confirmation. */
  sent?: ReporterKind;
  /** Files were sent but not stored: the form asks for them again. */
  filesDropped?: boolean;
}

/** A message typed before the page expired, carried through the lookup form (hidden fields). */
function draftOf(body: Record<string, unknown>): MessageForm['values'] {
  const text = formString(body.text).slice(0, LIMITS.description.max * 4);
  return text ? { text, kind: formString(body.kind).slice(0, 20) } : undefined;
}

export default async function statusRoutes(app: FastifyInstance, ctx: PublicContext) {
  // The message form may carry files (a lookup posted as multipart finds no code in it).
  await registerUploads(app);

  app.get('/status', async (request, reply) => reply.page('public/status', { title: request.t('status.title') }));

  /**
   * The code check behind both the lookup and the message form, with the same answers and limits:
   * the found report, or the page already rendered for a code that is malformed or unknown. Neither
   * page writes the code back (README, Security): a near miss is one typo from the real code, and
   * the phone may be picked up by someone else. A message being written travels on, hidden.
   */
  async function find(reply: FastifyReply, code: string, draft?: MessageForm['values']): Promise<Found | string> {
    const { request } = reply;
    const result = await lookupStatus(ctx.db, ctx.keys, code);
    const title = request.t('status.title');
    if (result.kind === 'invalid') {
      reply.code(400);
      const message = request.t(code.trim() ? `errors.code.${result.reason}` : 'errors.code.required');
      return reply.page('public/status', { title, draft, errors: { code: message }, errorList: [{ field: 'code', message }] });
    }
    if (result.kind === 'notFound') {
      await app.limits.failedLookup(request);
      reply.code(404);
      return reply.page('public/status', { title, draft, notFound: true });
    }
    return result;
  }

  /** The message form's report: from the page's view token, or from a code posted directly. */
  async function findForMessage(reply: FastifyReply, body: Record<string, unknown>, draft: MessageForm['values']): Promise<Found | string> {
    const view = formString(body.view);
    if (!view) return find(reply, formString(body.code).slice(0, 100));
    const result = await lookupStatusView(ctx.db, ctx.keys, view.slice(0, 200));
    if (result.kind === 'found') return result;
    // The page was left open too long: the code is asked again, and the message is kept.
    return reply.code(400).page('public/status', { title: reply.request.t('status.title'), draft, expired: true });
  }

  // The message form carries a view token in place of the code (never the code itself): after
  // posting, this page is shown again rather than a redirect, which would carry it in its address.
  function resultPage(reply: FastifyReply, found: Found, form: MessageForm = {}) {
    const kinds = offeredKinds(found.status, found.thread);
    const chosen = kinds.find((k) => k === form.values?.kind) ?? kinds[0];
    const errors = form.errors ?? [];
    return reply.page('public/status-result', {
      title: reply.request.t('status.title'),
      ...found,
      canWrite: kinds.length > 0,
      choices: kinds.length > 1 ? kinds.map((kind) => ({ kind, checked: kind === chosen })) : [],
      onlyKind: kinds.length === 1 ? kinds[0] : undefined,
      textLimits: LIMITS.description,
      values: { text: cleanText(form.values?.text ?? '').text },
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
      sent: form.sent,
      uploads: uploadHint(ctx.uploads, form.filesDropped),
    });
  }

  app.post('/status', { preHandler: app.limits.lookup }, async (request, reply) => {
    const body = (request.body as Record<string, unknown> | undefined) ?? {};
    const draft = draftOf(body);
    const found = await find(reply, formString(body.code).slice(0, 100), draft);
    return typeof found === 'string' ? found : resultPage(reply, found, { values: draft });
  });

  // A message counts as a lookup (the code) and as a submission (the text).
  app.post('/status/messages', { preHandler: [app.limits.lookup, app.limits.submit] }, async (request, reply) => {
    const upload = await readUploadForm(request, reply, ctx.uploads);
    const body = upload.fields;
    const values = { text: formString(body.text), kind: formString(body.kind) };
    const found = await findForMessage(reply, body, values);
    if (typeof found === 'string') return found;
    const parsed = pageMessageSchema.safeParse({ text: values.text, kind: values.kind || undefined });
    // Nothing is stored while anything is wrong: the text comes back, files are chosen again.
    const filesDropped = upload.files.length > 0 || upload.rejected !== null;
    const refused = await uploadProblem(upload);
    if (!parsed.success || refused) {
      const errors = parsed.success ? [] : fieldErrors(parsed.error, request.t);
      if (refused) errors.push(uploadError(refused, request.t, ctx.uploads));
      return resultPage(reply.code(refused ? PROBLEM_STATUS[refused.problem] : 400), found, { values, errors, filesDropped });
    }
    const files = await cleanOrReject(upload.files);
    if (files instanceof UploadRejected) {
      const errors = [uploadError(files, request.t, ctx.uploads)];
      return resultPage(reply.code(PROBLEM_STATUS[files.problem]), found, { values, errors, filesDropped });
    }
    const problem = await postReporterMessage(ctx.db, found, parsed.data, { key: ctx.attachmentKey, files });
    // Transferred since the page was loaded: the page now says where to turn instead.
    if (problem === 'closed') return resultPage(reply.code(409), found);
    if (problem) {
      const key = KIND_PROBLEMS[problem];
      const errors = [{ field: 'kind', code: key.slice('errors.'.length), message: request.t(key) }];
      return resultPage(reply.code(400), found, { values, errors, filesDropped });
    }
    const thread = await reporterThread(ctx.db, found.reportId);
    return resultPage(reply, { ...found, thread, files: [...found.files, ...files.map((f) => f.name)] }, { sent: parsed.data.kind });
  });
}
