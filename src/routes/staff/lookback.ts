import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../../lib/errors.js';
import { listAssignable } from '../../leads/repository.js';
import { findDraw, findItem, findItems, listDraws } from '../../lookback/repository.js';
import { assignDraw, drawLookback, recordFinding } from '../../lookback/service.js';
import { text } from '../../reports/schema.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';


const idSchema = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const drawSchema = z.object({
  // An optional seed lets the office use a number drawn in public; otherwise a random one is made.
  seed: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().regex(/^[\w-]{4,64}$/, 'errors.lookback.seed').optional()),
  assignee: z.string().regex(/^(\d{1,18}|none)$/),
});
const findingSchema = z.object({
  finding: z.enum(['held', 'relapsed'], { error: 'errors.lookback.finding' }),
  note: text({ min: 2, max: 2000 }),
});

function idOf(params: unknown) {
  const parsed = idSchema.safeParse(params);
  if (!parsed.success) throw new HttpError(404);
  return parsed.data.id;
}

// Look-back re-checks (回头看) of concluded leads and finished problem-list rows.
export default async function lookbackRoutes(app: FastifyInstance, ctx: StaffContext) {
  const settings = () => ctx.campaign.lookback;

  async function renderList(reply: FastifyReply, errors: FieldError[] = [], values: Record<string, unknown> = {}) {
    const request = reply.request;
    const [draws, assignable] = await Promise.all([listDraws(ctx.db), listAssignable(ctx.db)]);
    return reply.page('staff/lookback', {
      title: request.t('staff.lookback.title'),
      staff: request.staff,
      draws,
      assignable,
      settings: settings(),
      values,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  async function assigneeOf(value: string): Promise<string | null> {
    if (value === 'none') return null;
    if (!(await listAssignable(ctx.db)).some((a) => a.id === value)) throw new HttpError(400);
    return value;
  }

  app.get('/lookback', async (_request, reply) => renderList(reply));

  app.post('/lookback', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = drawSchema.safeParse(body);
    if (!parsed.success) return renderList(reply.code(400), fieldErrors(parsed.error, request.t), body);
    const id = await drawLookback(ctx.db, request.staff!.userId, settings(), { seed: parsed.data.seed, assigneeId: await assigneeOf(parsed.data.assignee) });
    return reply.redirect(`/staff/lookback/${id}`, 303);
  });

  async function renderDraw(reply: FastifyReply, id: string, errors: FieldError[] = []) {
    const request = reply.request;
    const draw = await findDraw(ctx.db, id);
    if (!draw) throw new HttpError(404);
    const [items, assignable] = await Promise.all([findItems(ctx.db, id), listAssignable(ctx.db)]);
    return reply.page('staff/lookback-draw', {
      title: request.t('staff.lookback.draw.title', { id }),
      staff: request.staff,
      draw,
      items,
      assignable: assignable.map((a) => ({ ...a, selected: a.id === draw.assignee_id })),
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/lookback/:id', async (request, reply) => renderDraw(reply, idOf(request.params)));

  app.post('/lookback/:id/assign', async (request, reply) => {
    const id = idOf(request.params);
    const parsed = drawSchema.pick({ assignee: true }).safeParse(request.body);
    if (!parsed.success) throw new HttpError(400);
    if (!(await assignDraw(ctx.db, request.staff!.userId, id, await assigneeOf(parsed.data.assignee)))) throw new HttpError(404);
    return reply.redirect(`/staff/lookback/${id}`, 303);
  });

  app.post('/lookback/items/:id/finding', async (request, reply) => {
    const itemId = idOf(request.params);
    const item = await findItem(ctx.db, itemId);
    if (!item) throw new HttpError(404);
    const parsed = findingSchema.safeParse(request.body);
    if (!parsed.success) {
      return renderDraw(reply.code(400), item.draw_id, fieldErrors(parsed.error, request.t).map((e) => ({ ...e, field: `${e.field}-${itemId}` })));
    }
    if (!(await recordFinding(ctx.db, request.staff!.userId, itemId, parsed.data.finding, parsed.data.note))) throw new HttpError(409);
    return reply.redirect(`/staff/lookback/${item.draw_id}`, 303);
  });
}
