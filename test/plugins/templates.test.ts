import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadCatalogs } from '../../src/i18n/index.js';
import { loadTemplates } from '../../src/plugins/templates.js';

// Catalog texts named by a literal key are written into the templates at start-up: the page must
// come out exactly as the {{t}} helper would have written it, escaping included.

/** Templates loaded from a views folder of this test's own: a layout, one page ('page') and partials by name. */
function templatesFrom(t: Test, layout: string, page: string, partials: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'views-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'partials'));
  writeFileSync(join(dir, 'layout.hbs'), layout);
  writeFileSync(join(dir, 'page.hbs'), page);
  for (const [name, source] of Object.entries(partials)) writeFileSync(join(dir, 'partials', `${name}.hbs`), source);
  return loadTemplates(`${dir}/`);
}

t.test('a literal {{t "key"}} renders as the helper renders it, escaped, in each language', async (t) => {
  // The same text through the substitution, through the helper (a hash keeps it a call), and in a partial.
  const page = '{{t "home.wayVisit"}}|{{t "home.wayVisit" x=1}}|{{> note}}|{{t "no.such.key"}}';
  const templates = templatesFrom(t, '<main>{{{body}}}</main>', page, { note: '[{{t "home.wayVisit"}}]' });
  const catalogs = loadCatalogs();
  for (const locale of ['zh-CN', 'en'] as const) {
    const html = templates.render(locale, 'page', {});
    const [stat, helper, partial, missing] = html.replace(/^<main>|<\/main>$/g, '').split('|');
    t.equal(stat, helper, `${locale}: the substituted text equals the helper's`);
    t.equal(partial, `[${helper}]`, `${locale}: partials get it too`);
    t.equal(missing, 'no.such.key', 'a missing key shows itself');
  }
  const en = templates.render('en', 'page', {});
  t.ok(catalogs.en['home.wayVisit']!.includes("'"), 'the text has a character to escape');
  t.match(en, /&#x27;/, 'escaped as Handlebars escapes');
  t.notMatch(en.split('|')[0]!, /'/);
  t.throws(() => templates.render('en', 'nowhere', {}), /No template views\/nowhere\.hbs/);
});

t.test('a partial called indented writes its lines as they are, and each page sits in the layout', async (t) => {
  const templates = templatesFrom(t, '<title>{{title}}</title>\n<main>\n{{{body}}}\n</main>\n', '<form>\n    {{> box}}\n</form>\n', {
    box: '<textarea>{{text}}</textarea>\n',
  });
  const html = templates.render('zh-CN', 'page', { title: 'T', text: 'one\ntwo\n  three' });
  t.equal(html, '<title>T</title>\n<main>\n<form>\n    <textarea>one\ntwo\n  three</textarea>\n</form>\n\n</main>\n');
});
