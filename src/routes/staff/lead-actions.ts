import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { mergeSchema, revealSchema, verifySchema, versionSchema } from '../../leads/schema.js';
import { mergeLead, recordFeedback, revealIdentity, verifyIdentity } from '../../leads/service.js';
import { fieldErrors } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { renderLead } from './lead-page.js';
import { parseId } from './leads.js';


// Real-name verification, identity reveal, feedback to the reporter, and merging duplicates.
export default async function leadActionRoutes(app: FastifyInstance, ctx: StaffContext) {
  app.post('/leads/:id/verify', async (request, reply) => {
    const { id } = parseId(request.params);
    const parsed = verifySchema.safeParse(request.body);
    if (!parsed.success) return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t));
    if (!(await verifyIdentity(ctx.db, request.staff!.userId, id, parsed.data.version, parsed.data.how))) throw new HttpError(409);
    return reply.redirect(`/staff/leads/${id}`, 303);
  });

  app.post('/leads/:id/feedback', async (request, reply) => {
    const { id } = parseId(request.params);
    const parsed = versionSchema.safeParse(request.body);
    if (!parsed.success || !(await recordFeedback(ctx.db, request.staff!.userId, id, parsed.data.version))) throw new HttpError(409);
    return reply.redirect(`/staff/leads/${id}`, 303);
  });

  app.post('/leads/:id/merge', async (request, reply) => {
    const { id } = parseId(request.params);
    const parsed = mergeSchema.safeParse(request.body);
    const result = parsed.success ? await mergeLead(ctx.db, request.staff!.userId, id, parsed.data.version, parsed.data.into) : 'invalidTarget';
    if (result === 'stale') throw new HttpError(409);
    if (result === 'invalidTarget') {
      const error = { field: 'into', code: 'merge.target', message: request.t('errors.merge.target') };
      return renderLead(ctx, request, reply.code(400), id, [error], request.body as object);
    }
    return reply.redirect(`/staff/leads/${id}`, 303);
  });

  // Identity: shown only in this response, only to an admin or the assigned investigator, only
  // with a reason, and always on the record — a refused attempt too (src/leads/service.ts).
  app.post('/leads/:id/reveal', async (request, reply) => {
    const { id } = parseId(request.params);
    const parsed = revealSchema.safeParse(request.body);
    const result = await revealIdentity(ctx.db, ctx.identityKey, request.staff!, id, parsed.success ? parsed.data.reason : undefined);
    if (result.ok) return renderLead(ctx, request, reply, id, [], {}, result.identity);
    if (result.problem === 'noReason' && !parsed.success) return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t));
    throw new HttpError(REVEAL_STATUS[result.problem]);
  });
}

const REVEAL_STATUS = { notFound: 404, denied: 403, noReason: 400, noIdentity: 409 } as const;
