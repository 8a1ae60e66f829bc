import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { findLinkedHouseholds, searchHouseholds } from '../../households/repository.js';
import { householdIdSchema, linkQuerySchema } from '../../households/schema.js';
import { flagSettings, linkLead, unlinkLead } from '../../households/service.js';
import { findLead } from '../../leads/repository.js';
import type { FormValues } from './households.js';
import type { StaffContext } from './context.js';

export default async function householdLeadRoutes(app: FastifyInstance, ctx: StaffContext) {
  // A lead and the households it is about: linked by admins and investigators on the lead's side.
  async function leadOr404(params: unknown) {
    const parsed = householdIdSchema.safeParse(params);
    const lead = parsed.success ? await findLead(ctx.db, parsed.data.id) : undefined;
    if (!lead) throw new HttpError(404);
    return lead;
  }

  app.get('/leads/:id/households', async (request, reply) => {
    const lead = await leadOr404(request.params);
    const q = linkQuerySchema.parse(request.query);
    const linked = await findLinkedHouseholds(ctx.db, lead.id);
    const found = q.q || q.village ? await searchHouseholds(ctx.db, { village: q.village, text: q.q ?? '' }) : [];
    const linkedIds = new Set(linked.map((h) => h.id));
    return reply.page('staff/lead-households', {
      title: request.t('households.leads.title'),
      staff: request.staff,
      lead,
      linked: linked.map((h) => ({ ...h, flags: h.flags ?? [] })),
      query: q,
      searched: Boolean(q.q || q.village),
      villages: ctx.campaign.villages.map((v) => ({ id: v.id, selected: v.id === (q.village ?? lead.village) })),
      found: found.map((h) => ({ ...h, linked: linkedIds.has(h.id) })),
    });
  });

  app.post('/leads/:id/households', async (request, reply) => {
    const lead = await leadOr404(request.params);
    const household = householdIdSchema.safeParse({ id: (request.body as FormValues).household });
    if (!household.success || !(await linkLead(ctx.db, flagSettings(ctx.campaign), request.staff!.userId, lead.id, household.data.id))) throw new HttpError(404);
    return reply.redirect(`/staff/leads/${lead.id}/households`, 303);
  });

  app.post('/leads/:id/households/:householdId/unlink', async (request, reply) => {
    const lead = await leadOr404(request.params);
    const household = householdIdSchema.safeParse({ id: (request.params as { householdId?: string }).householdId });
    if (!household.success || !(await unlinkLead(ctx.db, flagSettings(ctx.campaign), request.staff!.userId, lead.id, household.data.id))) throw new HttpError(404);
    return reply.redirect(`/staff/leads/${lead.id}/households`, 303);
  });
}
