import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PublicContext } from './context.js';
import { PROBLEM_STATUS, UploadRejected } from '../../attachments/clean.js';
import { cleanOrReject, readUploadForm, registerUploads, uploadError, uploadHint, uploadProblem } from './upload.js';
import { formErrors, formToInput, identityConflict, readForm, reportFormView, type ReportFormValues } from '../../reports/form.js';
import { issueFormToken, isIssuedFormToken } from '../../reports/form-token.js';
import { openReceipt, sealReceipt, type ReceiptView } from '../../reports/receipt-page.js';
import { submitReport } from '../../reports/submit.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';

/** The form's hidden field a person never fills (hidden by CSS, out of the tab order). */
const HONEYPOT = 'website';

export default async function reportRoutes(app: FastifyInstance, ctx: PublicContext) {
  await registerUploads(app);
  const receiptKey = ctx.keys.receiptPage;

  // The code is shown in this response only (never in a URL): the language switch posts the page
  // back, sealed (src/reports/receipt-page.ts), instead of linking to an address.
  const renderReceipt = (reply: FastifyReply, view: ReceiptView) =>
    reply.page('public/receipt', {
      title: reply.request.t('receipt.title'),
      ...view,
      langForm: { action: '/report/receipt', name: 'receipt', value: sealReceipt(receiptKey, view) },
      acceptDays: ctx.campaign.deadlines.acceptWorkingDays,
      statusUrl: `${ctx.publicUrl}/status`,
    });

  // Files cannot be put back into a file input: when the form comes back, a line asks for them again.
  const renderForm = (reply: FastifyReply, values: Partial<ReportFormValues>, errors: FieldError[] = [], filesDropped = false) =>
    reply.page('public/report', {
      title: reply.request.t('report.title'),
      ...reportFormView(ctx.campaign, reply.request.t, values, errors),
      uploads: uploadHint(ctx.uploads, filesDropped),
    });

  // Each form page carries a fresh token (./reports/form-token.ts): posting the same page twice (a
  // retry after a dropped connection, a double tap) finds the first report instead of making a
  // second one, and a post with no token of ours is asked to submit again.
  app.get('/report', async (request, reply) => {
    const village = (request.query as Record<string, unknown>).village;
    const values = { token: issueFormToken(ctx.keys.form), village: typeof village === 'string' ? village : '' };
    return renderForm(reply, values);
  });

  // The form is multipart when it carries files; urlencoded posts are still accepted.
  app.post('/report', { preHandler: app.limits.submit }, async (request, reply) => {
    const upload = await readUploadForm(request, reply, ctx.uploads);
    const values = readForm(upload.fields);
    const parsed = ctx.reportSchema.safeParse(formToInput(values));
    const errors = parsed.success ? [] : formErrors(fieldErrors(parsed.error, request.t));
    if (identityConflict(values)) {
      errors.push({ field: 'identity', code: 'identity.conflict', message: request.t('errors.identity.conflict') });
    }
    // Nothing is stored while anything is wrong: what was typed comes back, files are chosen again.
    const sentFiles = upload.files.length > 0 || upload.rejected !== null;
    const refuse = (problem: UploadRejected | null) => {
      if (problem) errors.push(uploadError(problem, request.t, ctx.uploads));
      reply.code(problem ? PROBLEM_STATUS[problem.problem] : 400);
      return renderForm(reply, values, errors, sentFiles);
    };
    // A post without a token of ours, or with the honeypot filled, is an automated one or a page
    // from before a restart with another secret: it comes back with a fresh token and everything
    // kept, so a person only presses submit again. Nothing is stored, and no code is shown.
    if (!isIssuedFormToken(ctx.keys.form, values.token) || formString(upload.fields[HONEYPOT]) !== '') {
      errors.push({ field: 'submit', code: 'form.resubmit', message: request.t('errors.form.resubmit') });
      values.token = issueFormToken(ctx.keys.form);
    }
    const problem = await uploadProblem(upload);
    if (!parsed.success || errors.length || problem) return refuse(problem);
    const files = await cleanOrReject(upload.files);
    if (files instanceof UploadRejected) return refuse(files);
    const result = await submitReport(ctx.db, ctx.keys, ctx.rules, parsed.data, { token: values.token }, { key: ctx.attachmentKey, files });
    const view = { code: result.code, submittedAt: result.submittedAt.toISOString(), replayed: result.replayed, files: files.map((f) => f.name) };
    return renderReceipt(reply, view);
  });

  // The receipt again, in the language asked for (?lang=): nothing is looked up or stored.
  app.post('/report/receipt', async (request, reply) => {
    const view = openReceipt(receiptKey, formString((request.body as Record<string, unknown> | undefined)?.receipt));
    if (!view) return reply.redirect('/report', 303);
    return renderReceipt(reply, view);
  });
}
