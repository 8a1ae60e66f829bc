import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../../lib/errors.js';
import { findCase, listCases } from '../../cases/repository.js';
import { approveCase, caseInputSchema, unpublishCase, writeCase, type CaseInput } from '../../cases/service.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

const idParam = z.object({ id: z.string().regex(/^\d{1,18}$/) });

function caseId(params: unknown): string {
  const parsed = idParam.safeParse(params);
  if (!parsed.success) throw new HttpError(404);
  return parsed.data.id;
}

// Typical cases for /results: written and approved by two different staff members (src/cases/service.ts).
export default async function caseRoutes(app: FastifyInstance, ctx: StaffContext) {
  async function render(reply: FastifyReply, opts: { errors?: FieldError[]; values?: object; editing?: string; notice?: string } = {}) {
    const errors = opts.errors ?? [];
    const cases = await listCases(ctx.db);
    const me = reply.request.staff!.userId;
    return reply.page('staff/cases', {
      title: reply.request.t('staff.cases.title'),
      staff: reply.request.staff,
      cases: cases.map((c) => ({ ...c, mine: c.author_id === me })),
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
      values: opts.values ?? {},
      editing: opts.editing,
      notice: opts.notice,
    });
  }

  async function save(request: FastifyRequest, reply: FastifyReply, id?: string) {
    const body = request.body as Record<string, unknown>;
    const parsed = caseInputSchema.safeParse(body);
    if (!parsed.success) return render(reply.code(400), { errors: fieldErrors(parsed.error, request.t), values: body, editing: id });
    const result = await writeCase(ctx.db, request.staff!.userId, parsed.data as CaseInput, id);
    if (!result) throw new HttpError(404);
    if (!result.ok) {
      const errors = [{ field: result.field, code: result.problem.slice('errors.'.length), message: request.t(result.problem) }];
      return render(reply.code(400), { errors, values: body, editing: id });
    }
    return reply.redirect('/staff/cases', 303);
  }

  app.get('/cases', async (_request, reply) => render(reply));
  app.post('/cases', async (request, reply) => save(request, reply));

  app.get('/cases/:id', async (request, reply) => {
    const id = caseId(request.params);
    const c = await findCase(ctx.db, id);
    if (!c) throw new HttpError(404);
    return render(reply, { values: { reportId: c.report_id, title: c.title, summary: c.summary }, editing: id });
  });
  app.post('/cases/:id', async (request, reply) => save(request, reply, caseId(request.params)));

  app.post('/cases/:id/approve', async (request, reply) => {
    const result = await approveCase(ctx.db, request.staff!.userId, caseId(request.params));
    if (result === 'missing') throw new HttpError(404);
    // The author cannot approve their own text: a second pair of eyes is the point.
    if (result === 'own') return render(reply.code(403), { notice: request.t('errors.cases.ownApproval') });
    return reply.redirect('/staff/cases', 303);
  });

  app.post('/cases/:id/unpublish', async (request, reply) => {
    const id = caseId(request.params);
    if (!(await findCase(ctx.db, id))) throw new HttpError(404);
    await unpublishCase(ctx.db, request.staff!.userId, id);
    return reply.redirect('/staff/cases', 303);
  });
}
