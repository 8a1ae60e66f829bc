import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/connect.js';
import { pickLocale } from '../i18n/index.js';
import { TooManyRequestsError } from '../lib/errors.js';

// Statuses with a page of their own (catalog errors.page.<status>); any other falls back to 400/500.
const PAGES = new Set([400, 403, 404, 405, 409, 413, 415, 429, 500, 503]);

function pageStatus(status: number): number {
  if (PAGES.has(status)) return status;
  return status >= 500 ? 500 : 400;
}

export function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/** One error page for everything: in the user's language, always with the hotline number. */
export async function sendError(request: FastifyRequest, reply: FastifyReply, status: number, retryAfter?: number) {
  const page = pageStatus(status);
  reply.code(status);
  if (retryAfter) reply.header('retry-after', String(retryAfter));
  if (status === 503) reply.header('retry-after', '30');
  // Errors raised before the i18n hook ran (a malformed URL) still answer in the user's language.
  const t = request.t ?? request.server.translators[pickLocale(undefined, undefined, request.headers['accept-language'])];
  const hotline = request.server.campaign.hotlines[0]!.number;
  if (isApi(request) || typeof reply.page !== 'function') {
    return reply.type('application/json; charset=utf-8').send({
      error: t(`errors.page.${page}.code`),
      message: t(`errors.page.${page}.body`),
      hotline,
    });
  }
  try {
    return await reply.page('errors/error', { errorStatus: page, title: t(`errors.page.${page}.title`), retryAfter });
  } catch (err) {
    request.log.error({ err }, 'error page failed to render');
    return reply.type('text/plain; charset=utf-8').send(`${t(`errors.page.${page}.title`)} — ${hotline}`);
  }
}

export default fp(
  async (app) => {
    app.setErrorHandler(async (err, request, reply) => {
      if (isDatabaseUnavailable(err)) {
        request.log.warn({ code: (err as { code?: string }).code }, 'database unavailable');
        return sendError(request, reply, 503);
      }
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) request.log.error({ err }, 'request failed');
      const retryAfter = err instanceof TooManyRequestsError ? err.retryAfterSeconds : undefined;
      return sendError(request, reply, status, retryAfter);
    });
    app.setNotFoundHandler({ preHandler: (request: FastifyRequest) => app.limits.notFound(request) }, (request, reply) =>
      sendError(request, reply, 404),
    );
  },
  { name: 'errors', dependencies: ['limits'] },
);
