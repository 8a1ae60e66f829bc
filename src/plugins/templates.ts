import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { LOCALES, type Campaign, type Locale, type Localized } from '../campaign/schema.js';
import { formatCode } from '../lib/codes.js';
import { loadCatalogs, translator, type Catalog } from '../i18n/index.js';
import { CHANNELS } from '../leads/schema.js';
import { CATEGORIES } from '../reports/schema.js';

// The page templates (views/*.hbs in views/layout.hbs), compiled once per language at start-up:
// the engine behind the views plugin (src/plugins/views.ts), and the bench's bare page routes
// (limits B′ and Q′ in bench/servers/limits.ts), so both render exactly the same way.

const VIEWS = fileURLToPath(new URL('../../views/', import.meta.url));

export interface Templates {
  /** views/<name>.hbs inside the layout, in one language. */
  render(locale: Locale, name: string, data: Record<string, unknown>): string;
}

const dateFormats: Record<Locale, Intl.DateTimeFormat> = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { dateStyle: 'long', timeZone: 'Asia/Shanghai' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'Asia/Shanghai' }),
};

/**
 * A catalog text named by a literal key alone ({{t "status.title"}}) is the same on every page
 * view: it is written into the template's source once per language, escaped as {{t}} would
 * escape it. Texts with parameters or keys built from parts stay helper calls.
 */
function withStaticTexts(source: string, catalog: Catalog): string {
  return source.replace(/\{\{t\s+"([\w.-]+)"\s*\}\}/g, (_m, key: string) => Handlebars.Utils.escapeExpression(catalog[key] ?? key));
}

function engine(locale: Locale, catalog: Catalog) {
  const hbs = Handlebars.create();
  const t = translator(catalog);
  // {{t "key" name=value}}, or {{t "category" id "name"}} for a key built from parts: the catalog
  // text in the page's language (escaped like any other output).
  hbs.registerHelper('t', (...args: unknown[]) => {
    const options = args.pop() as Handlebars.HelperOptions;
    return t(args.join('.'), options.hash);
  });
  // {{l localizedObject}}: a campaign-file text in the page's language.
  hbs.registerHelper('l', (value: Localized | undefined) => value?.[locale] ?? '');
  hbs.registerHelper('date', (value: Date | string) => dateFormats[locale].format(new Date(value)));
  // {{fieldLabel field}}: the name of a form field, so that an error in the summary says which
  // field it is about ("Phone number: Enter a valid …"); '' for a field without one.
  hbs.registerHelper('fieldLabel', (field: string) => catalog[`form.fields.${field}`] ?? '');
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
    return village ? village.name[locale] : t('report.village.other');
  });
  hbs.registerHelper('minutes', (seconds: number) => Math.max(1, Math.ceil(seconds / 60)));
  return hbs;
}

/** Every template under views/ (e-mails aside), by name ('public/status-result'). */
function templateFiles(dir: string, prefix = ''): string[] {
  return readdirSync(`${dir}${prefix}`, { withFileTypes: true }).flatMap((entry) => {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) return name === 'emails' ? [] : templateFiles(dir, `${name}/`);
    return entry.name.endsWith('.hbs') ? [name.slice(0, -'.hbs'.length)] : [];
  });
}

export function loadTemplates(dir = VIEWS): Templates {
  const catalogs = loadCatalogs();
  const names = templateFiles(dir);
  const sources = new Map(names.map((name) => [name, readFileSync(`${dir}${name}.hbs`, 'utf8')]));
  const layout = sources.get('layout') ?? '{{{body}}}';
  const compiled = Object.fromEntries(
    LOCALES.map((locale) => {
      const hbs = engine(locale, catalogs[locale]);
      const options: Parameters<typeof hbs.compile>[1] = {
        // Handlebars indents every line a partial writes by the indentation of its {{> tag}},
        // the lines of what was typed into a <textarea> included: a description sent back with an
        // error gained two spaces per line, and kept them when sent again.
        preventIndent: true,
        knownHelpers: Object.fromEntries(Object.keys(hbs.helpers).map((helper) => [helper, true])),
      };
      const pages = new Map<string, Handlebars.TemplateDelegate>();
      for (const [name, source] of sources) {
        if (name.startsWith('partials/')) hbs.registerPartial(name.slice('partials/'.length), hbs.compile(withStaticTexts(source, catalogs[locale]), options));
        // Each page is compiled into the layout, where {{{body}}} stands: one template call per
        // page view instead of two (each call sets Handlebars' helpers up anew).
        else if (name !== 'layout') pages.set(name, hbs.compile(withStaticTexts(layout.replace('{{{body}}}', () => source), catalogs[locale]), options));
      }
      return [locale, pages];
    }),
  ) as Record<Locale, Map<string, Handlebars.TemplateDelegate>>;

  return {
    render(locale, name, data) {
      const page = compiled[locale].get(name);
      if (!page) throw new Error(`No template views/${name}.hbs`);
      return page(data);
    },
  };
}
