import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { listRecordedBy } from '../../leads/repository.js';
import { sessionReader, type SessionStage } from '../../staff/service.js';
import { PUBLIC, routeAccess } from '../../staff/access.js';
import { formString } from '../../lib/validation.js';
import type { StaffContext } from './context.js';
import { fromAnotherSite, sameToken, SESSION_COOKIE } from './session.js';
import calendarRoutes from './calendar.js';
import campaignRoutes from './campaign.js';
import caseRoutes from './cases.js';
import householdFormRoutes from './household-form.js';
import householdImportRoutes from './household-import.js';
import householdLeadRoutes from './household-leads.js';
import householdRoutes from './households.js';
import intakeRoutes from './intake.js';
import leadActionRoutes from './lead-actions.js';
import leadAttachmentRoutes from './lead-attachments.js';
import leadMessageRoutes from './lead-messages.js';
import auditRoutes from './audit.js';
import leadRoutes from './leads.js';
import dashboardRoutes from './dashboard.js';
import lookbackRoutes from './lookback.js';
import problemFilingRoutes from './problem-filings.js';
import problemRoutes from './problems.js';
import registerOverviewRoutes from './register-overview.js';
import recheckRoutes from './rechecks.js';
import statisticsRoutes from './statistics.js';
import loginRoutes from './login.js';
import setupRoutes from './setup.js';
import twoFactorRoutes from './two-factor.js';
import userRoutes from './users.js';

const FULL_ONLY: readonly SessionStage[] = ['full'];
const STAGE_HOME: Record<SessionStage, string> = { full: '/staff', mfa: '/staff/login/code', enrol: '/staff/2fa' };

function toLogin(request: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/staff' });
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
  return reply.redirect(`/staff/login${next}`, 303);
}

// The staff side. Every route here needs a live session and passes a CSRF check on POST, unless
// it is explicitly marked public (the login form only): denied by default.
export default async function staffRoutes(app: FastifyInstance, ctx: StaffContext) {
  app.decorateRequest('staff', null);

  // Roles come from one table (src/staff/access.ts); a route it does not list stops the start.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const access = routeAccess(method, route.url);
      if (access === undefined) throw new Error(`${method} ${route.url} is not in src/staff/access.ts`);
      route.config = { ...route.config, ...(access === PUBLIC ? { public: true } : { roles: access }) };
    }
  });

  const sessions = sessionReader(ctx.db, ctx.settings);
  app.addHook('onRequest', async (request, reply) => {
    // Defence in depth beside the CSRF token: a change sent from another site's page is refused,
    // the login form's included. Requests without these headers (older browsers, scripts) pass.
    if (request.method !== 'GET' && request.method !== 'HEAD' && fromAnotherSite(request, ctx.publicUrl)) throw new HttpError(403);
    if (request.routeOptions.config.public || !request.routeOptions.url) return;
    const sid = request.cookies[SESSION_COOKIE];
    const change = request.method !== 'GET' && request.method !== 'HEAD';
    const session = sid ? await sessions.load(sid, change) : null;
    if (!session) return toLogin(request, reply);
    request.staff = session;
    // A session waiting for its TOTP code reaches the code form and logout only; one that must
    // first set up 2FA (mandatory, not enrolled) reaches enrolment and logout only. Checked before
    // the role, so such a session learns nothing about any other route.
    if (!(request.routeOptions.config.stages ?? FULL_ONLY).includes(session.stage)) {
      return reply.redirect(STAGE_HOME[session.stage], 303);
    }
    const roles = request.routeOptions.config.roles;
    if (roles && !roles.includes(session.role)) throw new HttpError(403);
  });

  app.addHook('onResponse', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') sessions.forgetAll();
  });

  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.config.public || !request.staff) return;
    const token = formString((request.body as Record<string, unknown> | undefined)?._csrf);
    if (!sameToken(token, request.staff.csrfToken)) throw new HttpError(403);
  });

  await app.register(loginRoutes, ctx);
  await app.register(setupRoutes, ctx);
  await app.register(twoFactorRoutes, ctx);
  await app.register(auditRoutes, ctx);
  await app.register(userRoutes, ctx);
  await app.register(leadRoutes, ctx);
  await app.register(statisticsRoutes, ctx);
  await app.register(dashboardRoutes, ctx);
  await app.register(problemRoutes, ctx);
  await app.register(problemFilingRoutes, ctx);
  await app.register(lookbackRoutes, ctx);
  await app.register(leadActionRoutes, ctx);
  await app.register(leadAttachmentRoutes, ctx);
  await app.register(leadMessageRoutes, ctx);
  await app.register(intakeRoutes, ctx);
  await app.register(calendarRoutes, ctx);
  await app.register(campaignRoutes, ctx);
  await app.register(caseRoutes, ctx);
  await app.register(householdRoutes, ctx);
  await app.register(householdFormRoutes, ctx);
  await app.register(householdImportRoutes, ctx);
  await app.register(householdLeadRoutes, ctx);
  await app.register(registerOverviewRoutes, ctx);
  await app.register(recheckRoutes, ctx);

  // Readers start at the queue; clerks and anyone else at their desk page.
  app.get('/', async (request, reply) =>
    request.staff!.role === 'clerk'
      ? reply.page('staff/home', {
          title: request.t('staff.home.title'),
          staff: request.staff,
          // A clerk sees the status of the leads they recorded, and nothing else.
          recorded: await listRecordedBy(ctx.db, request.staff!.userId),
        })
      : reply.redirect('/staff/leads', 303),
  );
}
