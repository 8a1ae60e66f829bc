import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Campaign } from '../../campaign/schema.js';
import { FORM_SPECS, fieldFormSchema, fieldInputs, formToField } from '../../campaign/form.js';
import { findVillagesInUse } from '../../campaign/repository.js';
import { EDITABLE_FIELDS, isEditableField, type EditableField } from '../../campaign/store.js';
import { HttpError } from '../../lib/errors.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';


function fieldParam(params: unknown): EditableField {
  const field = (params as { field: string }).field;
  if (!isEditableField(field)) throw new HttpError(404);
  return field;
}

// The campaign settings (hotlines, office, villages, phases, deadlines): admins change them here,
// each change audited with the old and the new value, and the shipped file stays the default that
// "reset" returns to. Applied to the next request on this instance, within a minute on the others.
export default async function campaignRoutes(app: FastifyInstance, ctx: StaffContext) {
  const store = ctx.campaignStore;

  function render(reply: FastifyReply, errors: FieldError[] = [], posted: Partial<Record<EditableField, unknown>> = {}) {
    const byName = Object.fromEntries(errors.map((e) => [e.field, e.message]));
    return reply.page('staff/campaign', {
      title: reply.request.t('staff.campaign.title'),
      staff: reply.request.staff,
      errorList: errors,
      fields: EDITABLE_FIELDS.map((field) => ({
        id: field,
        ...fieldInputs(field, field in posted ? posted[field] : store.live[field], byName),
        error: byName[field],
        list: FORM_SPECS[field].list,
        changed: store.changed.get(field),
      })),
      anyChanged: store.changed.size > 0,
    });
  }

  /**
   * Villages that leads already name cannot be removed (their leads would lose their place in the
   * queue, the statistics and the results): the error for the villages field, or null.
   */
  async function villagesInUse(request: FastifyRequest, next: Campaign['villages']): Promise<FieldError[] | null> {
    const removed = store.live.villages.map((v) => v.id).filter((id) => !next.some((v) => v.id === id));
    if (removed.length === 0) return null;
    const inUse = await findVillagesInUse(ctx.db, removed);
    if (inUse.length === 0) return null;
    const message = request.t('errors.campaign.villageInUse', { ids: inUse.join(', ') });
    return [{ field: 'villages', code: 'campaign.villageInUse', message }];
  }

  app.get('/campaign', async (_request, reply) => render(reply));

  app.post('/campaign/:field', async (request, reply) => {
    const field = fieldParam(request.params);
    const posted = formToField(field, request.body as Record<string, unknown>);
    const parsed = fieldFormSchema(field).safeParse({ [field]: posted });
    if (!parsed.success) return render(reply.code(400), fieldErrors(parsed.error, request.t), { [field]: posted });
    const value = (parsed.data as Record<EditableField, unknown>)[field];
    const inUse = field === 'villages' && (await villagesInUse(request, value as Campaign['villages']));
    if (inUse) return render(reply.code(400), inUse, { [field]: posted });
    await store.set(request.staff!.userId, field, value as Campaign[typeof field]);
    return reply.redirect(`/staff/campaign#${field}`, 303);
  });

  app.post('/campaign/:field/reset', async (request, reply) => {
    const field = fieldParam(request.params);
    const inUse = field === 'villages' && (await villagesInUse(request, store.shipped.villages));
    if (inUse) return render(reply.code(400), inUse);
    await store.reset(request.staff!.userId, [field]);
    return reply.redirect(`/staff/campaign#${field}`, 303);
  });

  app.post('/campaign/reset', async (request, reply) => {
    const inUse = await villagesInUse(request, store.shipped.villages);
    if (inUse) return render(reply.code(400), inUse);
    await store.reset(request.staff!.userId, EDITABLE_FIELDS);
    return reply.redirect('/staff/campaign', 303);
  });
}
