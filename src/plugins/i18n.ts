import fp from 'fastify-plugin';
import type { Locale } from '../campaign/schema.js';
import { loadCatalogs, pickLocale, translator, type Translate } from '../i18n/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    translators: Record<Locale, Translate>;
  }
  interface FastifyRequest {
    locale: Locale;
    t: Translate;
  }
}

/** Picks each request's language (?lang, then the lang cookie, then Accept-Language). */
export default fp(
  async (app, opts: { secureCookies: boolean }) => {
    const translators = Object.fromEntries(
      Object.entries(loadCatalogs()).map(([locale, catalog]) => [locale, translator(catalog)]),
    ) as Record<Locale, Translate>;
    app.decorate('translators', translators);
    app.decorateRequest('locale', 'zh-CN');
    app.decorateRequest('t', null as unknown as Translate);
    // Callback style, as in security.ts: every request runs it.
    app.addHook('onRequest', (request, reply, done) => {
      const query = (request.query as Record<string, unknown> | undefined)?.lang;
      request.locale = pickLocale(query, request.cookies.lang, request.headers['accept-language']);
      request.t = translators[request.locale];
      if (query === request.locale) {
        // The visible switch is a plain link, so the choice is remembered in a cookie that holds
        // nothing but the language.
        reply.setCookie('lang', request.locale, {
          path: '/',
          maxAge: 365 * 24 * 3600,
          sameSite: 'lax',
          httpOnly: true,
          secure: opts.secureCookies,
        });
      }
      done();
    });
  },
  { name: 'i18n', dependencies: ['@fastify/cookie'] },
);
