import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { login, logout } from '../../staff/service.js';
import { formString } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { safeNext, sameToken, SESSION_COOKIE } from './session.js';

const LOGIN_CSRF = 'login_csrf';

export default async function loginRoutes(app: FastifyInstance, ctx: StaffContext) {
  const cookie = { path: '/staff', httpOnly: true, sameSite: 'strict' as const, secure: ctx.secureCookies };

  // Before a session exists, the login form's CSRF token is a double-submit cookie.
  app.get('/login', async (request, reply) => {
    const token = randomBytes(24).toString('base64url');
    reply.setCookie(LOGIN_CSRF, token, cookie);
    const next = safeNext((request.query as Record<string, unknown>).next);
    const setupDone = (request.query as Record<string, unknown>).setup === '1';
    return reply.page('staff/login', { title: request.t('staff.login.title'), csrf: token, next, setupDone });
  });

  app.post('/login', { preHandler: app.limits.login }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const csrf = formString(body._csrf);
    const expected = request.cookies[LOGIN_CSRF] ?? '';
    const next = safeNext(formString(body.next));
    const username = formString(body.username).slice(0, 100);
    const result =
      csrf && sameToken(csrf, expected)
        ? await login(ctx.db, ctx.settings, username, formString(body.password).slice(0, 1024))
        : ({ ok: false } as const);
    if (!result.ok) {
      const token = randomBytes(24).toString('base64url');
      reply.setCookie(LOGIN_CSRF, token, cookie);
      reply.code(401);
      // One message whatever went wrong: wrong name, wrong password, disabled or locked.
      return reply.page('staff/login', { title: request.t('staff.login.title'), csrf: token, next, username, failed: true });
    }
    reply.clearCookie(LOGIN_CSRF, { path: '/staff' });
    reply.setCookie(SESSION_COOKIE, result.sessionId, cookie);
    // With TOTP enabled the session is pending: the code form comes next (src/routes/staff/two-factor.ts).
    return reply.redirect(result.mfa ? `/staff/login/code?next=${encodeURIComponent(next)}` : next, 303);
  });

  app.post('/logout', { config: { stages: ['full', 'mfa', 'enrol'] } }, async (request, reply) => {
    await logout(ctx.db, request.cookies[SESSION_COOKIE] ?? '', request.staff!.userId);
    reply.clearCookie(SESSION_COOKIE, { path: '/staff' });
    // A shared office computer keeps nothing of the session: no cached lead page, no cookie.
    reply.header('clear-site-data', '"cache", "cookies", "storage"');
    return reply.redirect('/staff/login', 303);
  });
}
