import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import view from '@fastify/view';
import fp from 'fastify-plugin';
import Handlebars from 'handlebars';
import type { Campaign, Locale, Localized } from '../campaign.js';
import { formatCode } from '../codes.js';
import { loadCatalogs, translator } from '../i18n/index.js';
import { CHANNELS } from '../leads/schema.js';
import { CATEGORIES } from '../reports/schema.js';

const VIEWS = fileURLToPath(new URL('../../views/', import.meta.url));

declare module 'fastify' {
  interface FastifyReply {
    /** Renders views/<template>.hbs in the layout, with the context every page needs. */
    page(template: string, data?: Record<string, unknown>): Promise<string>;
  }
}

const dateFormats: Record<Locale, Intl.DateTimeFormat> = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { dateStyle: 'long', timeZone: 'Asia/Shanghai' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'Asia/Shanghai' }),
};

function createHandlebars() {
  const hbs = Handlebars.create();
  const catalogs = loadCatalogs();
  const translators = Object.fromEntries(
    Object.entries(catalogs).map(([locale, catalog]) => [locale, translator(catalog)]),
  ) as Record<Locale, ReturnType<typeof translator>>;
  const localeOf = (options: Handlebars.HelperOptions): Locale => options.data.root.locale;
  // {{t "key" name=value}}, or {{t "category" id "name"}} for a key built from parts: the catalog
  // text in the page's language (escaped like any other output).
  hbs.registerHelper('t', (...args: unknown[]) => {
    const options = args.pop() as Handlebars.HelperOptions;
    return translators[localeOf(options)](args.join('.'), options.hash);
  });
  // {{l localizedObject}}: a campaign-file text in the page's language.
  hbs.registerHelper('l', (value: Localized | undefined, options: Handlebars.HelperOptions) => value?.[localeOf(options)] ?? '');
  hbs.registerHelper('date', (value: Date | string, options: Handlebars.HelperOptions) =>
    dateFormats[localeOf(options)].format(new Date(value)),
  );
  // {{fieldLabel field}}: the name of a form field, so that an error in the summary says which
  // field it is about ("Phone number: Enter a valid …"); '' for a field without one.
  hbs.registerHelper('fieldLabel', (field: string, options: Handlebars.HelperOptions) => catalogs[localeOf(options)][`form.fields.${field}`] ?? '');
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('code', (value: string) => formatCode(value));
  // {{#each (codeLines code)}}: the code's groups of four as two lines, 3 + 2 (views/partials/tracking-code.hbs).
  hbs.registerHelper('codeLines', (value: string) => {
    const groups = formatCode(value).split(' ');
    return [groups.slice(0, 3), groups.slice(3)].filter((line) => line.length > 0);
  });
  hbs.registerHelper('tel', (value: string) => value.replace(/[^\d+]/g, ''));
  hbs.registerHelper('categoryIds', () => CATEGORIES);
  hbs.registerHelper('channelIds', () => CHANNELS);
  // {{villageName id}}: a village's name from the campaign file ("other" and unknown ids included).
  hbs.registerHelper('villageName', (id: string | null, options: Handlebars.HelperOptions) => {
    if (!id) return '—';
    const village = (options.data.root.campaign as Campaign).villages.find((v) => v.id === id);
    return village ? village.name[localeOf(options)] : translators[localeOf(options)]('report.village.other');
  });
  hbs.registerHelper('minutes', (seconds: number) => Math.max(1, Math.ceil(seconds / 60)));
  return hbs;
}

export default fp(
  async (app, opts: { campaign: Campaign; publicUrl: string; publicUrlMissing: boolean }) => {
    const partials = Object.fromEntries(
      readdirSync(`${VIEWS}partials`)
        .filter((f) => f.endsWith('.hbs'))
        .map((f) => [f.slice(0, -4), `partials/${f}`]),
    );
    await app.register(view, {
      engine: { handlebars: createHandlebars() },
      root: VIEWS,
      layout: 'layout.hbs',
      viewExt: 'hbs',
      production: true,
      options: { partials },
    });
    app.decorateReply('page', function (template: string, data: Record<string, unknown> = {}) {
      const request = this.request;
      const other: Locale = request.locale === 'en' ? 'zh-CN' : 'en';
      this.type('text/html; charset=utf-8');
      return this.viewAsync(template, {
        locale: request.locale,
        // Read per page: admins edit the campaign while the app runs (src/campaign-store.ts).
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
