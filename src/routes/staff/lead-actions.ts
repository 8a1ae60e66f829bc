import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../../audit/service.js';
import { HttpError } from '../../lib/errors.js';
import { findLead } from '../../leads/repository.js';
import { mergeSchema, revealSchema, verifySchema, versionSchema } from '../../leads/schema.js';
import { mergeLead, recordFeedback, verifyIdentity } from '../../leads/service.js';
import { unseal } from '../../lib/seal.js';
import { mayOnLead } from '../../staff/access.js';
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
  // with a reason, and always on the record — a refused attempt too.
  app.post('/leads/:id/reveal', async (request, reply) => {
    const { id } = parseId(request.params);
    const staff = request.staff!;
    const lead = await findLead(ctx.db, id);
    if (!lead) throw new HttpError(404);
    if (!mayOnLead('identity', staff, lead.assignee_id)) {
      await recordAudit(ctx.db, { actorId: staff.userId, action: 'identity.reveal.denied', reportId: id });
      throw new HttpError(403);
    }
    const parsed = revealSchema.safeParse(request.body);
    if (!parsed.success) return renderLead(ctx, request, reply.code(400), id, fieldErrors(parsed.error, request.t));
    if (!lead.identity_sealed) throw new HttpError(409);
    await recordAudit(ctx.db, { actorId: staff.userId, action: 'identity.reveal', reportId: id, detail: { reason: parsed.data.reason } });
    const identity = JSON.parse(unseal(ctx.identityKey, lead.identity_sealed)) as { name: string; phone: string };
    return renderLead(ctx, request, reply, id, [], {}, identity);
  });
}
