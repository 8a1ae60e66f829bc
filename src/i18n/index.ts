import { readFileSync } from 'node:fs';
import Negotiator from 'negotiator';
import { LOCALES, type Locale } from '../campaign/schema.js';

// Catalogs live in locales/<locale>.json as nested objects; keys are dotted paths into them.
// test/i18n/index.test.ts checks both catalogs have exactly the same keys.

export type Catalog = Record<string, string>;
export const DEFAULT_LOCALE: Locale = 'zh-CN';

function flatten(obj: Record<string, unknown>, prefix = '', out: Catalog = {}): Catalog {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else flatten(v as Record<string, unknown>, key, out);
  }
  return out;
}

export function loadCatalogs(): Record<Locale, Catalog> {
  const entries = LOCALES.map((locale) => {
    const file = new URL(`../../locales/${locale}.json`, import.meta.url);
    return [locale, flatten(JSON.parse(readFileSync(file, 'utf8')))] as const;
  });
  return Object.fromEntries(entries) as Record<Locale, Catalog>;
}

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

export function translator(catalog: Catalog): Translate {
  return (key, vars) => {
    const template = catalog[key];
    // A missing key shows itself rather than an empty string, so the gap is noticed and reported.
    if (template === undefined) return key;
    // Templates always pass a hash (often empty): most texts have no {name} to fill.
    return vars && template.includes('{') ? template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : template;
  };
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** ?lang= beats the lang cookie, which beats Accept-Language; Chinese when nothing matches. */
export function pickLocale(query: unknown, cookie: unknown, acceptLanguage: string | undefined): Locale {
  if (isLocale(query)) return query;
  if (isLocale(cookie)) return cookie;
  const negotiated = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } }).language([
    ...LOCALES,
    'zh',
    'en-US',
    'en-GB',
  ]);
  if (!negotiated || !acceptLanguage) return DEFAULT_LOCALE;
  return negotiated.startsWith('en') ? 'en' : 'zh-CN';
}
