import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { testApp } from '../support/app.js';
import { addStaff, STAFF_PASSWORD } from '../support/staff.js';
import { axeOnCopy, DESKTOP, launchBrowser, navigate, newContext, screenshots, staffMenu, timing } from '../support/browser.js';

// The household register's import journey (issue 12) in Debian's Chromium, JavaScript off: a clerk
// signs in through the form, imports the sample CSV (preview, commit), sees the households with their
// ID numbers masked, is refused a file with a bad check digit (nothing stored), imports the sample
// XLSX (nothing changes) and opens a flagged household. Every page is checked with axe-core; every
// request stays on the app's origin. Screenshots go to a temporary folder.

// Each step waits on the page, bounded by STEP_MS; this bounds the file on a loaded machine.
t.setTimeout(300_000);

const zh = JSON.parse(readFileSync('locales/zh-CN.json', 'utf8'));
const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));

const SAMPLE_CSV = readFileSync('docs/samples/households.csv');
const SAMPLE_XLSX = readFileSync('docs/samples/households.xlsx');
const halfWidth = (s: string) => s.replace(/[\uff10-\uff19]/g, (d) => String(d.charCodeAt(0) - 0xff10));
/** Every full ID number in the sample (column 身份证号), in plain digits. */
const sampleLines = SAMPLE_CSV.toString('utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
const idColumn = sampleLines[0]!.split(',').indexOf('身份证号');
const sampleIds = sampleLines.slice(1).map((line) => halfWidth(line.split(',')[idColumn]!));

const started = Date.now();
const ta = await testApp(t);
await ta.app.listen({ port: 0, host: '127.0.0.1' });
const origin = `http://127.0.0.1:${(ta.app.server.address() as AddressInfo).port}`;

const shotDir = mkdtempSync(join(tmpdir(), 'register-journey-'));
const shoot = screenshots(shotDir);
const requested: string[] = [];
const browser = await launchBrowser(t);
const context = await newContext(browser, { ...DESKTOP, javaScriptEnabled: false }, requested);
// axe needs script: it runs on a copy of each page in a context of its own (see axeOnCopy).
const axeContext = await newContext(browser, { ...DESKTOP, javaScriptEnabled: true, bypassCSP: true }, requested);
const notes: string[] = [];

const householdCount = async () => Number((await ta.database.db.selectFrom('households').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** The page as it is now: axe finds nothing serious, and no full ID number is anywhere in it. */
async function check(t: Test, page: Page, name: string) {
  const { serious, notes: minor } = await axeOnCopy(axeContext, page, name);
  t.same(serious, [], `${name}: no serious or critical accessibility violations (axe-core)`);
  notes.push(...minor.map((v) => `${name}: ${v.id} (${v.impact})`));
  const html = await page.content();
  t.same(sampleIds.filter((id) => html.includes(id)), [], `${name}: no full ID number in the page`);
}

/** Chooses a file in the import form and asks for its preview. */
async function upload(page: Page, name: string, mimeType: string, buffer: Buffer) {
  await page.locator('#file').setInputFiles({ name, mimeType, buffer });
  await navigate(page, () => page.locator('form[action="/staff/households/import"] button[type="submit"]').click());
}

const CSV_TYPE = 'text/csv';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

await addStaff(ta, 'clerk-zhao', 'clerk');
const page = await context.newPage();

await t.test('a clerk signs in and opens the register from the staff menu', async (t) => {
  await page.goto(`${origin}/staff/login`);
  await check(t, page, 'login');
  await page.locator('#username').fill('clerk-zhao');
  await page.locator('#password').fill(STAFF_PASSWORD);
  await navigate(page, () => page.locator('form[action="/staff/login"] button[type="submit"]').click());
  t.notMatch(page.url(), /\/staff\/login/, 'signed in');
  await staffMenu(page, '/staff/households');
  t.equal(new URL(page.url()).pathname, '/staff/households', 'the register opens from the menu');
  t.equal(await page.locator('h1').innerText(), zh.households.heading);
  t.equal(await page.locator('td.id-masked').count(), 0, 'the register starts empty');
  await shoot(page, 'register-empty');
  await check(t, page, 'register-empty');
});

await t.test('the sample CSV: preview, commit, and the households in the register with ID numbers masked', async (t) => {
  await navigate(page, () => page.locator('a[href="/staff/households/import"]').first().click());
  t.equal(await page.locator('h1').innerText(), zh.households.import.heading);
  await check(t, page, 'import-form');
  await upload(page, '台账.csv', CSV_TYPE, SAMPLE_CSV);
  t.equal(await page.locator('#ready-title').innerText(), fill(zh.households.import.readyTitle, { name: '台账.csv' }), 'the preview names the file');
  t.equal(await page.locator('#ready-title + p').innerText(), fill(zh.households.import.ready, { rows: sampleIds.length }), 'and counts its rows, none with a problem');
  t.equal(await householdCount(), 0, 'the preview stores nothing');
  await shoot(page, 'import-csv-preview');
  await check(t, page, 'import-csv-preview');

  await navigate(page, () => page.locator('form[action$="/commit"] button[type="submit"]').click());
  t.equal(await page.locator('section[role="status"] h2').innerText(), zh.households.import.done);
  t.equal(await page.locator('section[role="status"] p').first().innerText(), fill(zh.households.import.summary, { created: sampleIds.length, updated: 0, unchanged: 0 }));
  t.equal(await householdCount(), sampleIds.length, 'every household is stored');
  await check(t, page, 'import-csv-done');

  await navigate(page, () => page.locator('a.button[href="/staff/households"]').click());
  const masked = await page.locator('td.id-masked').allInnerTexts();
  t.equal(masked.length, sampleIds.length, 'the register lists every household');
  t.same(
    masked.map((m) => [m.slice(0, 3), m.slice(-4)]).sort(),
    sampleIds.map((id) => [id.slice(0, 3), id.slice(-4)]).sort(),
    'each ID number shows its first 3 and last 4 characters',
  );
  t.ok(masked.every((m) => m.length === 18 && /^\d{3}\*{11}[\dX]{4}$/.test(m)), `and the rest is masked (${masked[0]})`);
  await shoot(page, 'register-imported');
  await check(t, page, 'register-imported');
});

await t.test('a file with a bad check digit: the problem by row and column, nothing stored', async (t) => {
  // The first household's ID number with its last digit changed: a new household, if it were stored.
  const good = sampleIds[0]!;
  const bad = good.slice(0, 17) + String((Number(good[17]) + 1) % 10);
  const text = SAMPLE_CSV.toString('utf8').replace(good, bad);
  t.not(text, SAMPLE_CSV.toString('utf8'), 'the bad file differs from the sample');
  const before = await householdCount();

  await staffMenu(page, '/staff/households');
  await navigate(page, () => page.locator('a[href="/staff/households/import"]').first().click());
  await upload(page, '有错.csv', CSV_TYPE, Buffer.from(text));
  t.equal(await page.locator('.error-summary h2').innerText(), fill(zh.households.import.problemsTitle, { name: '有错.csv', rows: sampleIds.length }));
  const cells = await page.locator('table.table tbody tr').first().locator('td').allInnerTexts();
  t.equal(cells[0], '2', 'the problem is on the first household’s row (the header is row 1)');
  t.match(cells[1], /^身份证号/, 'in the ID number column');
  t.match(cells[2], /[\u4e00-\u9fff]/, `explained in Chinese: ${cells[2]}`);
  t.equal(await page.locator('form[action$="/commit"]').count(), 0, 'nothing can be committed');
  t.notOk((await page.content()).includes(bad), 'the bad ID number is not shown in full either');
  await shoot(page, 'import-bad-row');
  await check(t, page, 'import-bad-row');
  t.equal(await householdCount(), before, 'nothing was stored');
});

await t.test('the sample XLSX: the same households, so importing it changes nothing', async (t) => {
  await upload(page, '台账.xlsx', XLSX_TYPE, SAMPLE_XLSX);
  t.equal(await page.locator('#ready-title + p').innerText(), fill(zh.households.import.ready, { rows: sampleIds.length }), 'the XLSX preview has every row, no problem');
  await check(t, page, 'import-xlsx-preview');
  await navigate(page, () => page.locator('form[action$="/commit"] button[type="submit"]').click());
  t.equal(await page.locator('section[role="status"] p').first().innerText(), fill(zh.households.import.summary, { created: 0, updated: 0, unchanged: sampleIds.length }));
  t.equal(await householdCount(), sampleIds.length, 'no household added');
});

await t.test('a flagged household shows each flag with its reason', async (t) => {
  await staffMenu(page, '/staff/households');
  const flagged = page.locator('table.table tbody tr:has(span.flag) a[href^="/staff/households/"]').first();
  t.ok((await flagged.count()) > 0, 'the sample has a flagged household');
  await navigate(page, () => flagged.click());
  const flags = await page.locator('ul.flags li > p:first-child').allInnerTexts();
  t.ok(flags.length > 0, `the household lists its flags (${flags.length})`);
  for (const flag of flags) t.match(flag, /^.+ — .+$/, `with a reason: ${flag}`);
  const masked = await page.locator('main').innerText();
  t.ok(sampleIds.some((id) => masked.includes(`${id.slice(0, 3)}***********${id.slice(-4)}`)), 'its ID number masked');
  await shoot(page, 'household-flags');
  await check(t, page, 'household');
});

await t.test('every request stayed on the origin', async (t) => {
  const foreign = [...new Set(requested.filter((u) => !/^(data|blob|about):/.test(u)).map((u) => new URL(u).origin))].filter((o) => o !== origin);
  t.same(foreign, [], `every request went to ${origin}`);
  t.ok(requested.length > 10, 'requests were recorded');
  if (notes.length) t.comment(`axe (moderate/minor, not failed on): ${notes.join('; ')}`);
  t.comment(`register journey took ${((Date.now() - started) / 1000).toFixed(1)} s (axe ${timing.axe} ms, screenshots ${timing.screenshots} ms); screenshots in ${shotDir}`);
  await context.close();
  await axeContext.close();
});
