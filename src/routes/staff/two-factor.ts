import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../../lib/errors.js';
import { findStaffById } from '../../staff/repository.js';
import { completeLogin, confirmEnrolment, enrolment, resetTotp, setMfaRequired, totpCodeSchema } from '../../staff/two-factor.js';
import { formString, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { safeNext, SESSION_COOKIE } from './session.js';

const idParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const mandatorySchema = z.object({ required: z.enum(['on', 'off']) });

function codeError(request: FastifyRequest, key: string): FieldError[] {
  return [{ field: 'code', code: key.slice('errors.'.length), message: request.t(key) }];
}

// Two-factor login: the code step of a login, enrolment for every signed-in user, and the admin's
// reset and "mandatory for everyone" switch.
export default async function twoFactorRoutes(app: FastifyInstance, ctx: StaffContext) {
  const cookie = { path: '/staff', httpOnly: true, sameSite: 'strict' as const, secure: ctx.secureCookies };
  const issuer = app.campaign.authority['zh-CN'];

  const renderCode = (request: FastifyRequest, reply: FastifyReply, next: string, errors: FieldError[] = []) =>
    reply.page('staff/login-code', {
      title: request.t('staff.twoFactor.codeTitle'),
      staff: request.staff,
      next,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });

  // Only a session whose password was right and whose code is awaited reaches these two.
  app.get('/login/code', { config: { stages: ['mfa'] } }, async (request, reply) =>
    renderCode(request, reply, safeNext((request.query as Record<string, unknown>).next)),
  );

  app.post('/login/code', { config: { stages: ['mfa'] }, preHandler: app.limits.login }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(formString(body.next));
    const code = totpCodeSchema.safeParse(formString(body.code));
    if (!code.success) return renderCode(request, reply.code(400), next, codeError(request, 'errors.totp.format'));
    const result = await completeLogin(ctx.db, ctx.settings, ctx.totpKey, request.cookies[SESSION_COOKIE] ?? '', code.data);
    if (result.ok) {
      reply.setCookie(SESSION_COOKIE, result.sessionId, cookie);
      return reply.redirect(next, 303);
    }
    if (result.ended) {
      reply.clearCookie(SESSION_COOKIE, { path: '/staff' });
      return reply.redirect('/staff/login', 303);
    }
    // Wrong and reused codes get the same answer.
    return renderCode(request, reply.code(401), next, codeError(request, 'errors.totp.wrong'));
  });

  const enrolStages = { stages: ['full', 'enrol'] as const };

  async function renderEnrolment(request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = []) {
    const staff = request.staff!;
    const pending = await enrolment(ctx.db, ctx.totpKey, { id: staff.userId, username: staff.username }, issuer);
    return reply.page('staff/two-factor', {
      title: request.t('staff.twoFactor.title'),
      staff,
      enrolment: pending,
      mandatory: staff.stage === 'enrol',
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/2fa', { config: enrolStages }, async (request, reply) => renderEnrolment(request, reply));

  app.post('/2fa', { config: enrolStages }, async (request, reply) => {
    const code = totpCodeSchema.safeParse(formString((request.body as Record<string, unknown>)?.code));
    if (!code.success) return renderEnrolment(request, reply.code(400), codeError(request, 'errors.totp.format'));
    if (!(await confirmEnrolment(ctx.db, ctx.totpKey, request.staff!.userId, code.data))) {
      return renderEnrolment(request, reply.code(400), codeError(request, 'errors.totp.wrong'));
    }
    return reply.redirect('/staff/2fa', 303);
  });

  app.post('/users/:id/2fa/reset', async (request, reply) => {
    const parsed = idParams.safeParse(request.params);
    const user = parsed.success ? await findStaffById(ctx.db, parsed.data.id) : undefined;
    if (!user) throw new HttpError(404);
    await resetTotp(ctx.db, user.id, request.staff!.userId);
    return reply.redirect(user.id === request.staff!.userId ? '/staff/login' : '/staff/users', 303);
  });

  app.post('/settings/2fa', async (request, reply) => {
    const parsed = mandatorySchema.safeParse(request.body);
    if (!parsed.success) throw new HttpError(400);
    await setMfaRequired(ctx.db, parsed.data.required === 'on', request.staff!.userId);
    return reply.redirect('/staff/users', 303);
  });
}
