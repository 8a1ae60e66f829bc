import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { StaffSettings } from '../../config.js';
import type { Database, StaffRole } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import { loadSession, type StaffSession } from '../../staff/service.js';
import { formString } from '../../validation.js';
import type { LeadRules } from '../../leads/service.js';
import leadRoutes from './leads.js';
import loginRoutes from './login.js';
import userRoutes from './users.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (the login page only). */
    public?: boolean;
    /** Roles allowed; a route without the list is open to every signed-in role. */
    roles?: readonly StaffRole[];
  }
  interface FastifyRequest {
    staff: StaffSession | null;
  }
}

export interface StaffContext {
  db: Kysely<Database>;
  rules: LeadRules;
  settings: StaffSettings;
  secureCookies: boolean;
}

export const SESSION_COOKIE = 'sid';

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Where to return after login: only a path inside /staff, never another site. */
export function safeNext(value: unknown): string {
  const ok =
    typeof value === 'string' &&
    /^\/staff(\/[\w\-/?=&.%]*)?$/.test(value) &&
    !value.includes('..') &&
    !value.startsWith('/staff/login');
  return ok ? value : '/staff';
}

function toLogin(request: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/staff' });
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
  return reply.redirect(`/staff/login${next}`, 303);
}

// The staff side. Every route here needs a live session and passes a CSRF check on POST, unless
// it is explicitly marked public (the login form only): denied by default.
export default async function staffRoutes(app: FastifyInstance, ctx: StaffContext) {
  app.decorateRequest('staff', null);

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public || !request.routeOptions.url) return;
    const sid = request.cookies[SESSION_COOKIE];
    const session = sid ? await loadSession(ctx.db, ctx.settings, sid) : null;
    if (!session) return toLogin(request, reply);
    request.staff = session;
    const roles = request.routeOptions.config.roles;
    if (roles && !roles.includes(session.role)) throw new HttpError(403);
  });

  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.config.public || !request.staff) return;
    const token = formString((request.body as Record<string, unknown> | undefined)?._csrf);
    if (!sameToken(token, request.staff.csrfToken)) throw new HttpError(403);
  });

  await app.register(loginRoutes, ctx);
  await app.register(userRoutes, ctx);
  await app.register(leadRoutes, ctx);

  // Readers start at the queue; clerks and anyone else at their desk page.
  app.get('/', async (request, reply) =>
    request.staff!.role === 'clerk'
      ? reply.page('staff/home', { title: request.t('staff.home.title'), staff: request.staff })
      : reply.redirect('/staff/leads', 303),
  );
}
