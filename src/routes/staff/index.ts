import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Campaign } from '../../campaign.js';
import type { CampaignStore } from '../../campaign-store.js';
import type { StaffSettings } from '../../config.js';
import type { CalendarStore } from '../../leads/calendar-store.js';
import type { ReportInputSchema } from '../../reports/schema.js';
import type { ReportKeys } from '../../reports/service.js';
import type { Database, StaffRole } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { IdKeys } from '../../households/id-number.js';
import { listRecordedBy } from '../../leads/repository.js';
import { sessionReader, type SessionStage, type StaffSession } from '../../staff/service.js';
import { PUBLIC, routeAccess } from '../../staff/access.js';
import { formString } from '../../validation.js';
import type { LeadRules } from '../../leads/service.js';
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

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (the login page only); set from src/staff/access.ts. */
    public?: boolean;
    /** Roles allowed; set from src/staff/access.ts. */
    roles?: readonly StaffRole[];
    /** Session stages allowed (src/staff/service.ts SessionStage); without the list, 'full' only. */
    stages?: readonly SessionStage[];
  }
  interface FastifyRequest {
    staff: StaffSession | null;
  }
}

export interface StaffContext {
  db: Kysely<Database>;
  /** Seal and hash the register's ID numbers (src/households/id-number.ts). */
  householdKeys: IdKeys;
  /** The portal's own address (PUBLIC_URL): a change whose Origin is another is refused. */
  publicUrl: string;
  rules: LeadRules;
  /** The working-day calendar in force, which admins extend. */
  calendar: CalendarStore;
  /** Opens a real-name reporter's sealed identity (the reveal action only). */
  identityKey: Buffer;
  /** For leads clerks record: the public form's schema, keys and campaign. */
  reportSchema: ReportInputSchema;
  reportKeys: ReportKeys;
  campaign: Campaign;
  /** The campaign settings admins edit (campaign is its live object). */
  campaignStore: CampaignStore;
  /** Seals staff members' TOTP secrets. */
  totpKey: Buffer;
  /** Opens reporters' attachments (the download route only). */
  attachmentKey: Buffer;
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

const FULL_ONLY: readonly SessionStage[] = ['full'];
const STAGE_HOME: Record<SessionStage, string> = { full: '/staff', mfa: '/staff/login/code', enrol: '/staff/2fa' };

/** Sec-Fetch-Site or Origin shows the request came from a page of another site. */
export function fromAnotherSite(request: FastifyRequest, publicUrl: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  // Browsers send "null" under Referrer-Policy: no-referrer (ours): it says nothing either way.
  if (origin === undefined || origin === 'null') return false;
  const host = request.headers.host;
  return origin !== new URL(publicUrl).origin && origin !== `http://${host}` && origin !== `https://${host}`;
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
