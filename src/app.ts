import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import type { DestinationStream } from 'pino';
import type { Campaign } from './campaign/schema.js';
import { CampaignStore } from './campaign/store.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import type { WorkCalendar } from './calendar/work-calendar.js';
import { CalendarStore } from './calendar/store.js';
import type { LeadRules } from './leads/deadlines.js';
import errors, { sendError } from './plugins/errors.js';
import i18n from './plugins/i18n.js';
import jobs from './plugins/jobs.js';
import limits from './plugins/limits.js';
import mail from './plugins/mail.js';
import security, { answerClientError, securityHeaders } from './plugins/security.js';
import views from './plugins/views.js';
import { makeReportInputSchema } from './reports/schema.js';
import { householdKeys } from './households/service.js';
import { reportGuessing, reportKeys } from './reports/service.js';
import apiRoutes from './routes/public/api.js';
import healthRoutes from './routes/public/health.js';
import pageRoutes from './routes/public/pages.js';
import posterRoutes from './routes/public/poster.js';
import reportRoutes from './routes/public/report.js';
import resultRoutes from './routes/public/results.js';
import statusRoutes from './routes/public/status.js';
import staffRoutes from './routes/staff/index.js';
import type { PublicContext } from './routes/public/context.js';
import type { StaffContext } from './routes/staff/context.js';
import { deriveKey } from './lib/secret.js';
import { parseFormBody } from './lib/validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    campaign: Campaign;
    /** Every route as registered: tests walk it (headers on every answer, the staff access matrix). */
    routeTable: readonly { method: string; url: string }[];
  }
}

export interface AppDeps {
  database: DatabaseHandle;
  campaign: Campaign;
  calendar: WorkCalendar;
  /** Where logs go (tests capture them to prove no address or code is ever logged). */
  logStream?: DestinationStream;
}

function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

// Bodies are small forms; 5,000 Chinese characters percent-encoded are ~45 KB.
const BODY_LIMIT = 128 * 1024;

/**
 * Assembles the whole app without listening: used by src/server.ts and by every test. The caller
 * owns the database handle and closes it after the app.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  if (!config.appSecret) throw new Error('buildApp needs config.appSecret');
  const headers = securityHeaders(config.secureCookies);
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // Fastify 5 takes a hop count as trusting no hop at all (it cannot check who connects), which
    // would leave TRUST_PROXY=1 silently without effect: the count is honoured here as proxy-addr
    // always did, trusting that many hops nearest the server, whoever they are (see README).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // A malformed URL never reaches the hooks: answer it with the same error page (and headers).
    frameworkErrors: (_error, request, reply) => {
      reply.headers(headers);
      void sendError(request, reply, 400);
    },
    // Nor does what Node's parser refuses (an unknown method, oversized headers).
    clientErrorHandler: answerClientError(() => server, headers),
    logger: {
      level: config.logLevel,
      // Reporters' anonymity: request logs carry the method, the path and the status only —
      // never the client address, user agent, headers, query values or body.
      serializers: {
        req: (req) => ({ method: req.method, url: req.routeOptions?.url ?? req.url.split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
  });
  const server: FastifyInstance = app;
  const routeTable: { method: string; url: string }[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url });
  });
  // One campaign object for the app's life, updated in place when an admin changes a setting.
  const campaign = new CampaignStore(deps.database.db, deps.campaign);
  await campaign.refresh();
  app.decorate('campaign', campaign.live);
  // Forms are urlencoded and the API is JSON: any other body (Fastify parses text/plain by
  // default) is answered 415 rather than reaching a handler as a bare string.
  app.removeContentTypeParser('text/plain');

  await app.register(cookie);
  await app.register(formbody, { parser: parseFormBody });
  await app.register(i18n, { secureCookies: config.secureCookies });
  await app.register(security, { headers });
  await app.register(limits, {
    limits: config.rateLimits,
    redis: config.redis,
    addressKey: deriveKey(config.appSecret, 'rate-limit-key'),
    onGuessing: (hourStart) => reportGuessing(deps.database.db, hourStart, config.rateLimits.portalFailedLookupsPerHour),
  });
  await app.register(views, { campaign: campaign.live, publicUrl: config.publicUrl, publicUrlMissing: config.publicUrlMissing });
  await app.register(errors);
  const calendar = new CalendarStore(deps.database.db, deps.calendar);
  await calendar.refresh();
  await app.register(jobs, { db: deps.database.db, calendar, campaign, staff: config.staff });
  await app.register(mail, { db: deps.database.db, settings: config.mail, publicUrl: config.publicUrl, calendar });

  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL('../public/', import.meta.url)),
    prefix: '/static/',
    maxAge: '1d',
  });

  const rules: LeadRules = {
    // Always the calendar in force, including days admins entered since start-up.
    get calendar() {
      return calendar.current;
    },
    // The deadlines in force, as admins last set them.
    get deadlines() {
      return campaign.live.deadlines;
    },
    get leadership() {
      return campaign.live.leadership;
    },
  };
  const ctx: PublicContext = {
    db: deps.database.db,
    keys: reportKeys(config.appSecret),
    reportSchema: makeReportInputSchema(() => campaign.live.villages.map((v) => v.id)),
    campaign: campaign.live,
    publicUrl: config.publicUrl,
    rules,
    uploads: config.uploads,
    attachmentKey: deriveKey(config.appSecret, 'attachment-seal'),
  };
  await app.register(pageRoutes, ctx);
  await app.register(resultRoutes, ctx);
  await app.register(posterRoutes, ctx);
  await app.register(reportRoutes, ctx);
  await app.register(statusRoutes, ctx);
  await app.register(apiRoutes, { ...ctx, prefix: '/api/v1' });
  await app.register(healthRoutes, ctx);
  const staff: StaffContext = {
    db: deps.database.db,
    publicUrl: config.publicUrl,
    householdKeys: householdKeys(config.appSecret),
    rules,
    identityKey: ctx.keys.identity,
    reportSchema: ctx.reportSchema,
    reportKeys: ctx.keys,
    campaign: campaign.live,
    campaignStore: campaign,
    totpKey: deriveKey(config.appSecret, 'totp-seal'),
    attachmentKey: ctx.attachmentKey,
    calendar,
    settings: config.staff,
    secureCookies: config.secureCookies,
  };
  await app.register((scope) => staffRoutes(scope, staff), { prefix: '/staff' });
  return app;
}
