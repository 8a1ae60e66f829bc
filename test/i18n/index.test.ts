import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LOCALES } from '../../src/campaign/schema.js';
import { loadCatalogs, pickLocale } from '../../src/i18n/index.js';
import { CATEGORIES, TYPICAL_FORMS } from '../../src/reports/schema.js';
import { testApp } from '../support/app.js';

const catalogs = loadCatalogs();
const zh = catalogs['zh-CN'];
const en = catalogs.en;

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));
}

/** The language switch link as a browser reads it: its href (entities decoded), hreflang and text. */
function langSwitch(html: string) {
  const m = /<a class="lang" href="([^"]*)" lang="([^"]*)" hreflang="([^"]*)">([^<]*)<\/a>/.exec(html);
  const href = m?.[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  return m ? { href, lang: m[2], hreflang: m[3], text: m[4] } : undefined;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

t.test('both catalogs have exactly the same keys, none empty', async (t) => {
  t.same(Object.keys(en).sort(), Object.keys(zh).sort());
  t.ok(Object.keys(zh).length > 100, 'the catalogs were actually read');
  for (const locale of LOCALES) {
    const empty = Object.entries(catalogs[locale]).filter(([, v]) => v.trim() === '');
    t.same(empty, [], `${locale} has no empty strings`);
  }
});

t.test('placeholders match between languages for each key', async (t) => {
  const mismatched = Object.keys(zh).filter((k) => placeholders(zh[k]!).join() !== placeholders(en[k] ?? '').join());
  t.same(mismatched, []);
});

t.test('every literal key used in the views exists, with the placeholders it is given', async (t) => {
  const files = filesUnder('views', '.hbs');
  t.ok(files.length >= 8, 'the views were found');
  let checked = 0;
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\{\{t\s+"([^"]+)"([^}]*)\}\}/g)) {
      const [call, key, rest] = [m[0], m[1]!, m[2]!];
      // Strip sub-expressions, then tell hash arguments (name=value) from positional key parts.
      const args = rest.replace(/\([^)]*\)/g, 'x').trim().split(/\s+/).filter(Boolean);
      const hash = args.filter((a) => a.includes('=')).map((a) => a.split('=')[0]!).sort();
      if (args.some((a) => !a.includes('='))) {
        t.ok(Object.keys(zh).some((k) => k.startsWith(`${key}.`)), `${file}: ${call} has a "${key}." group`);
        continue;
      }
      checked++;
      for (const locale of LOCALES) {
        const text = catalogs[locale][key];
        t.ok(text !== undefined, `${file}: ${key} in ${locale}`);
        t.same(placeholders(text ?? ''), [...new Set(hash)], `${file}: ${key} in ${locale} gets each {placeholder}`);
      }
    }
  }
  t.ok(checked > 50, `${checked} literal keys checked`);
});

t.test('every catalog key written as a literal in src/ exists', async (t) => {
  const keys = new Set<string>();
  for (const file of filesUnder('src', '.ts')) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(['"`])(errors\.[\w.-]+)\1/g)) keys.add(m[2]!);
    for (const m of source.matchAll(/\bt\(\s*(['"])([\w.-]+)\1/g)) keys.add(m[2]!);
  }
  t.ok(keys.size >= 20, `${keys.size} keys found in src/`);
  t.ok(keys.has('errors.text.invisible') && keys.has('report.title'), 'both kinds of literal are found');
  const missing = [...keys].filter((k) => !(k in zh) || !(k in en));
  t.same(missing, []);
});

t.test('keys built at run time exist for every value they are built from', async (t) => {
  const migration = readFileSync('migrations/001_reports.sql', 'utf8');
  const statuses = [.../status IN \(([^)]+)\)/.exec(migration)![1]!.matchAll(/'(\w+)'/g)].map((m) => m[1]!);
  t.ok(statuses.length >= 7);
  const expected = [
    ...statuses.flatMap((s) => [`statuses.${s}.label`, `statuses.${s}.help`]),
    ...CATEGORIES.flatMap((c) => [`category.${c}.name`, `category.${c}.plain`, ...TYPICAL_FORMS[c].map((f) => `category.${c}.forms.${f}`)]),
    ...['400', '403', '404', '405', '409', '413', '415', '429', '500', '503'].flatMap((s) =>
      ['code', 'title', 'body'].map((p) => `errors.page.${s}.${p}`),
    ),
    ...['format', 'checkDigit', 'required'].map((r) => `errors.code.${r}`),
  ];
  t.same(expected.filter((k) => !(k in zh) || !(k in en)), []);
  const formKeys = Object.keys(zh).filter((k) => /^category\.\w+\.forms\./.test(k));
  t.equal(formKeys.length, Object.values(TYPICAL_FORMS).flat().length, 'no typical form in the catalog that the schema lacks');
  t.same(
    [...new Set(Object.keys(zh).filter((k) => k.startsWith('errors.page.')).map((k) => k.split('.')[2]!))].map((s) => `errors.page.${s}.code`).filter((k) => zh[k] !== en[k]),
    [],
    'API error codes are the same in both languages',
  );
});

t.test('pickLocale: ?lang beats the cookie, which beats Accept-Language; Chinese by default', async (t) => {
  t.equal(pickLocale('en', 'zh-CN', 'zh-CN'), 'en');
  t.equal(pickLocale('zh-CN', 'en', 'en'), 'zh-CN');
  t.equal(pickLocale(undefined, 'en', 'zh-CN,zh;q=0.9'), 'en');
  t.equal(pickLocale(undefined, 'zh-CN', 'en'), 'zh-CN');
  t.equal(pickLocale('fr', 'en', 'zh'), 'en', 'an unknown ?lang is ignored');
  t.equal(pickLocale(['en'], 'de', 'zh'), 'zh-CN', 'a repeated ?lang and an unknown cookie are ignored');
  t.equal(pickLocale(undefined, undefined, undefined), 'zh-CN');
  t.equal(pickLocale(undefined, undefined, ''), 'zh-CN');
  t.equal(pickLocale(undefined, undefined, 'en-US,en;q=0.9'), 'en');
  t.equal(pickLocale(undefined, undefined, 'en-GB'), 'en');
  t.equal(pickLocale(undefined, undefined, 'fr'), 'zh-CN');
  t.equal(pickLocale(undefined, undefined, 'fr-FR,fr;q=0.9,en;q=0.5'), 'en');
  t.equal(pickLocale(undefined, undefined, 'zh-TW'), 'zh-CN');
  t.equal(pickLocale(undefined, undefined, 'en;q=0.5,zh;q=0.9'), 'zh-CN');
});

t.test('?lang=en sets a lang cookie and renders English, with a switch back', async (t) => {
  const { app } = await testApp(t);
  const res = await app.inject('/?lang=en');
  t.equal(res.statusCode, 200);
  const cookie = res.cookies.find((c) => c.name === 'lang');
  t.equal(cookie?.value, 'en');
  t.equal(cookie?.path, '/');
  t.equal(cookie?.httpOnly, true);
  t.equal(cookie?.sameSite, 'Lax');
  t.match(res.body, '<html lang="en">');
  t.match(res.body, en['home.heading']!);
  t.notMatch(res.body, zh['home.heading']!);
  t.same(langSwitch(res.body), { href: '/?lang=zh-CN', lang: 'zh-CN', hreflang: 'zh-CN', text: '中文' });

  const remembered = await app.inject({ url: '/report', cookies: { lang: 'en' } });
  t.match(remembered.body, '<html lang="en">');
  t.match(remembered.body, en['report.heading']!);
  t.equal(langSwitch(remembered.body)?.href, '/report?lang=zh-CN', 'the switch keeps the page');
  t.equal(remembered.cookies.length, 0, 'no cookie set without ?lang');

  const chinese = await app.inject('/');
  t.match(chinese.body, '<html lang="zh-CN">');
  t.match(chinese.body, zh['home.heading']!);
  t.same(langSwitch(chinese.body), { href: '/?lang=en', lang: 'en', hreflang: 'en', text: 'English' });

  const byHeader = await app.inject({ url: '/status', headers: { 'accept-language': 'en-US,en;q=0.9' } });
  t.match(byHeader.body, '<html lang="en">');
  t.equal(byHeader.cookies.length, 0);
  const ignored = await app.inject({ url: '/?lang=fr', headers: { 'accept-language': 'en' } });
  t.match(ignored.body, '<html lang="en">');
  t.equal(ignored.cookies.length, 0, 'an unknown ?lang sets no cookie');
});
