import fp from 'fastify-plugin';
import type { Campaign, Locale } from '../campaign/schema.js';
import { loadTemplates } from './templates.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders views/<template>.hbs in the layout, with the context every page needs. */
    page(template: string, data?: Record<string, unknown>): Promise<string>;
  }
}

export default fp(
  async (app, opts: { campaign: Campaign; publicUrl: string; publicUrlMissing: boolean }) => {
    const templates = loadTemplates();
    app.decorateReply('page', async function (template: string, data: Record<string, unknown> = {}) {
      const request = this.request;
      const other: Locale = request.locale === 'en' ? 'zh-CN' : 'en';
      this.type('text/html; charset=utf-8');
      return templates.render(request.locale, template, {
        locale: request.locale,
        // Read per page: admins edit the campaign while the app runs (src/campaign/store.ts).
        campaign: opts.campaign,
        hotline: opts.campaign.hotlines[0]!.number,
        // The switch reloads the same address, or the home page where that would repeat a POST.
        switchHref: `${request.method === 'GET' && !data.errorStatus ? request.url.split('?')[0] : '/'}?lang=${other}`,
        otherLocale: other,
        // Staff pages say so while printed cards and posters would carry a guessed address.
        publicUrlNotice: opts.publicUrlMissing && data.staff ? opts.publicUrl : null,
        ...data,
      });
    });
  },
  { name: 'views', dependencies: ['i18n'] },
);
