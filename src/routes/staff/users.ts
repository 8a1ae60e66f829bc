import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../../lib/errors.js';
import { findStaffById, isMfaRequired, listStaff, listTotpEnabled } from '../../staff/repository.js';
import { createStaff, newStaffSchema, ROLES, setDisabled, setPassword, StaffError, unlockStaff } from '../../staff/service.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

const idParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });

// Account management, for admins only.
export default async function userRoutes(app: FastifyInstance, ctx: StaffContext) {
  async function render(reply: FastifyReply, values: Record<string, string> = {}, errors: FieldError[] = [], notice?: string) {
    const t = reply.request.t;
    const [list, totpOn, mfaRequired] = await Promise.all([listStaff(ctx.db), listTotpEnabled(ctx.db), isMfaRequired(ctx.db)]);
    const users = list.map((u) => ({
      ...u,
      self: u.id === reply.request.staff!.userId,
      locked: u.locked_until !== null && u.locked_until > new Date(),
      totp: totpOn.has(u.id),
    }));
    return reply.page('staff/users', {
      title: t('staff.users.title'),
      staff: reply.request.staff,
      users,
      mfaRequired,
      roles: ROLES.map((r) => ({ id: r, selected: values.role === r })),
      values,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
      notice,
    });
  }

  async function target(params: unknown) {
    const parsed = idParams.safeParse(params);
    const user = parsed.success ? await findStaffById(ctx.db, parsed.data.id) : undefined;
    if (!user) throw new HttpError(404);
    return user;
  }

  app.get('/users', async (_request, reply) => render(reply));

  app.post('/users', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { username: formString(body.username), role: formString(body.role), email: formString(body.email) };
    const parsed = newStaffSchema.safeParse(values);
    if (!parsed.success) return render(reply.code(400), values, fieldErrors(parsed.error, request.t));
    try {
      await createStaff(ctx.db, ctx.settings.password, parsed.data, formString(body.password), request.staff!.userId);
    } catch (err) {
      if (!(err instanceof StaffError)) throw err;
      return render(reply.code(400), values, [{ field: err.field, code: err.key.slice(7), message: request.t(err.key) }]);
    }
    return render(reply, {}, [], request.t('staff.users.created', { username: parsed.data.username }));
  });

  app.post('/users/:id/disable', async (request, reply) => {
    const user = await target(request.params);
    if (!(await setDisabled(ctx.db, user.id, true, request.staff!.userId))) throw new HttpError(409);
    return reply.redirect('/staff/users', 303);
  });

  app.post('/users/:id/enable', async (request, reply) => {
    const user = await target(request.params);
    await setDisabled(ctx.db, user.id, false, request.staff!.userId);
    return reply.redirect('/staff/users', 303);
  });

  app.post('/users/:id/unlock', async (request, reply) => {
    const user = await target(request.params);
    await unlockStaff(ctx.db, user.id, request.staff!.userId);
    return reply.redirect('/staff/users', 303);
  });

  app.post('/users/:id/password', async (request, reply) => {
    const user = await target(request.params);
    try {
      await setPassword(ctx.db, ctx.settings.password, user, formString((request.body as Record<string, unknown>)?.password), request.staff!.userId);
    } catch (err) {
      if (!(err instanceof StaffError)) throw err;
      return render(reply.code(400), {}, [{ field: `password-${user.id}`, code: err.key.slice(7), message: request.t(err.key) }]);
    }
    return render(reply, {}, [], request.t('staff.users.passwordChanged', { username: user.username }));
  });
}
