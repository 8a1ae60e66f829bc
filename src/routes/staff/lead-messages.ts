import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { versionSchema } from '../../leads/schema.js';
import { questionSchema } from '../../messages/schema.js';
import { askReporter, markHandled } from '../../messages/service.js';
import { fieldErrors } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { renderLead } from './lead-page.js';
import { parseId } from './leads.js';


// The conversation by code, staff side: ask the reporter a question, mark their messages handled.
export default async function leadMessageRoutes(app: FastifyInstance, ctx: StaffContext) {
  app.post('/leads/:id/question', async (request, reply) => {
    const { id } = parseId(request.params);
    const parsed = questionSchema.safeParse(request.body);
    if (!parsed.success) return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t), request.body as object);
    if (!(await askReporter(ctx.db, request.staff!.userId, id, parsed.data.version, parsed.data.question))) throw new HttpError(409);
    return reply.redirect(`/staff/leads/${id}`, 303);
  });

  app.post('/leads/:id/handled', async (request, reply) => {
    const { id } = parseId(request.params);
    const parsed = versionSchema.safeParse(request.body);
    if (!parsed.success || !(await markHandled(ctx.db, request.staff!.userId, id, parsed.data.version))) throw new HttpError(409);
    return reply.redirect(`/staff/leads/${id}`, 303);
  });
}
