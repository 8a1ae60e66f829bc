import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { dammDigit } from '../../src/lib/codes.js';
import { HOTLINE, testApp } from '../support/app.js';
import { lead, MESSAGE_ENV } from '../support/messages.js';
import { addStaff, signIn, STAFF_PASSWORD } from '../support/staff.js';
import {
  Auditor,
  codeLayout,
  DESKTOP,
  fullWidth,
  launchBrowser,
  navigate,
  newContext,
  OUTPUT_DIR,
  pageWidth,
  PHONE,
  screenshots,
  staffMenu,
  timing,
  weightTable,
} from '../support/browser.js';

// The villager's journey and the staff's, in Debian's Chromium (issue 6): the app listens on
// loopback against the test database (TEST_DATABASE_URL, or PGlite); the villager uses a phone with
// JavaScript off; every public page is checked with axe-core and weighed. Screenshots and the
// page-weight report go to test-output/browser/.

const MAX_PAGE_BYTES = 102_400;

// The whole file: a newcomer's first `npm test` on a slow laptop under load must pass (issue 15).
// Every step waits on the page (locators, load events), each bounded by STEP_MS; this bounds the
// run, some 60–120 s on an idle machine.
t.setTimeout(600_000);

const zh = JSON.parse(readFileSync('locales/zh-CN.json', 'utf8'));
const en = JSON.parse(readFileSync('locales/en.json', 'utf8'));

const started = Date.now();
const ta = await testApp(t, { env: MESSAGE_ENV });
await ta.app.listen({ port: 0, host: '127.0.0.1' });
const origin = `http://127.0.0.1:${(ta.app.server.address() as AddressInfo).port}`;

const requested: string[] = [];
const shoot = screenshots();
const browser: Browser = await launchBrowser(t);
const auditor = await Auditor.create(browser, requested, shoot);

/** A real (small) JPEG, standing in for a photo from the phone's camera. */
const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 150, g: 110, b: 70 } } })
  .composite([{ input: Buffer.from('<svg width="320" height="240"><rect x="40" y="60" width="240" height="140" fill="#ddd"/></svg>'), top: 0, left: 0 }])
  .jpeg({ quality: 70 })
  .toBuffer();

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

/** The page fits a 360 px phone: nothing to scroll sideways. */
async function fits(t: Test, page: Page, name: string) {
  const width = await pageWidth(page);
  t.ok(width <= 360, `${name}: ${width} px wide, fits 360 px`);
}

/** The code's groups are never split across lines, and lines are balanced (one line, or 3 + 2). */
async function codeGroupsWhole(t: Test, page: Page, selector: string, name: string) {
  const { boxes, perLine } = await codeLayout(page, selector);
  t.same(boxes, [1, 1, 1, 1, 1], `${name}: no group of the code is split across lines`);
  t.ok(JSON.stringify(perLine) === '[5]' || JSON.stringify(perLine) === '[3,2]', `${name}: the groups are balanced (${perLine.join(' + ')})`);
}

/** Opens a public page in the auditor's context: weighs it and runs axe-core in it. */
async function audit(t: Test, name: string, go: (page: Page) => Promise<unknown>, shot?: string) {
  const { violations } = await auditor.check(name, go, shot);
  t.same(violations, [], `${name}: no serious or critical accessibility violations (axe-core)`);
}

/** Looks a code up on the status page, as typed. */
async function lookUp(page: Page, typed: string) {
  await page.goto(`${origin}/status`);
  await page.locator('#code').pressSequentially(typed);
  await navigate(page, () => page.locator('form[action="/status"] button[type="submit"]').click());
}

async function phone(): Promise<BrowserContext> {
  return newContext(browser, { ...PHONE, javaScriptEnabled: false }, requested);
}

/** Signs in at /staff/login through the form, in a desktop context with JavaScript off. */
async function staffPage(t: Test, username: string, shotName: string): Promise<Page> {
  const context = await newContext(browser, { ...DESKTOP, javaScriptEnabled: false }, requested);
  const page = await context.newPage();
  await page.goto(`${origin}/staff/login`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(STAFF_PASSWORD);
  await shoot(page, shotName);
  await navigate(page, () => page.locator('form[action="/staff/login"] button[type="submit"]').click());
  t.notMatch(page.url(), /\/staff\/login/, `${username} is signed in`);
  return page;
}

let villagerCode = '';

await t.test('a villager on a phone, JavaScript off: hotline page, language, report with a photo, status, answer', async (t) => {
  const context = await phone();
  const page = await context.newPage();

  await page.goto(`${origin}/`);
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'the phone gets Chinese');
  const hotline = page.locator('.hotline-bar a[href^="tel:"]');
  t.equal(await hotline.innerText(), HOTLINE, 'the hotline number is on the page');
  const box = await hotline.boundingBox();
  const screen = PHONE.viewport!;
  t.ok(box && box.y >= 0 && box.y + box.height <= screen.height && box.x + box.width <= screen.width, 'the hotline number is visible without scrolling');
  t.equal(await text(page, 'h1'), zh.home.heading);
  await shoot(page, 'home');
  await audit(t, 'home', (p) => p.goto(`${origin}/`));

  // The visible language switch, there and back.
  await navigate(page, () => page.locator('a.lang').click());
  t.equal(await page.getAttribute('html', 'lang'), 'en', 'switched to English');
  t.equal(await text(page, 'h1'), en.home.heading);
  t.equal(await text(page, 'a.lang'), en.site.switchTo, 'the switch now offers Chinese');
  await shoot(page, 'home-english');
  await audit(t, 'home-en', (p) => p.goto(`${origin}/?lang=en`));
  await auditor.clearCookies();
  await navigate(page, () => page.locator('a.lang').click());
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'and back to Chinese');
  t.equal(await text(page, 'h1'), zh.home.heading);
  await shoot(page, 'home-chinese-again');

  // The report form: category, description and a photo.
  await navigate(page, () => page.locator('main a[href="/report"]').first().click());
  t.equal(new URL(page.url()).pathname, '/report');
  await shoot(page, 'report-form');
  await audit(t, 'report', (p) => p.goto(`${origin}/report`));
  const description = '村里的危房改造补助，村干部说要先交800元“协调费”才给报名，我家交了钱，到现在也没有批下来。';
  await page.locator('input[name="category"][value="integrity"]').check();
  await page.locator('#description').fill(description);
  const picker = page.locator('label.file-button[for="files"]');
  t.equal(await picker.innerText(), zh.report.files.choose, 'the file picker’s label is in the page’s language');
  t.ok(await page.locator('#files').isVisible(), 'the native file input stays usable');
  await fits(t, page, 'report form');
  await page.locator('#files').setInputFiles({ name: '房子.jpg', mimeType: 'image/jpeg', buffer: photo });
  await shoot(page, 'report-filled');
  await navigate(page, () => page.locator('form[action="/report"] button[type="submit"]').click());

  // The receipt: the code, large, and the photo's name.
  t.equal(await text(page, 'h1'), zh.receipt.heading);
  const shownCode = await text(page, '#tracking-code');
  t.match(shownCode, /^\d{4}( \d{4}){4}$/, 'the code is shown in groups of four');
  villagerCode = shownCode.replace(/ /g, '');
  t.match(await text(page, 'ul.file-names'), /房子\.jpg/, 'the photo was received');
  t.equal(await page.locator('button[data-print]').isHidden(), true, 'JavaScript is off: the print button stays hidden, the page works without it');
  await codeGroupsWhole(t, page, '#tracking-code', 'receipt at 360 px');
  await fits(t, page, 'receipt');
  await shoot(page, 'receipt');
  // The receipt's language switch posts the page back (the code never enters an address).
  await navigate(page, () => page.locator('form.lang-form button').click());
  t.equal(await page.getAttribute('html', 'lang'), 'en', 'the receipt in English');
  t.equal((await text(page, '#tracking-code')).replace(/ /g, ''), villagerCode, 'with the same code');
  t.notMatch(page.url(), villagerCode, 'which is not in the address');
  await codeGroupsWhole(t, page, '#tracking-code', 'English receipt at 360 px');
  await fits(t, page, 'receipt-en');
  await shoot(page, 'receipt-english');
  await navigate(page, () => page.locator('form.lang-form button').click());
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'and back to Chinese');
  // Printed (A4 at 96 dpi): the card keeps the code whole too.
  await page.setViewportSize({ width: 794, height: 1123 });
  await page.emulateMedia({ media: 'print' });
  await codeGroupsWhole(t, page, '#tracking-code', 'the printed code card');
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize(PHONE.viewport!);
  const reportRow = await ta.database.db.selectFrom('reports').select(['id', 'description']).orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.equal(reportRow.description, description, 'the report is stored');
  const attachments = await ta.database.db.selectFrom('attachments').select('id').where('report_id', '=', reportRow.id).execute();
  t.equal(attachments.length, 1, 'with its photo');
  await audit(t, 'receipt', async (p) => {
    await p.goto(`${origin}/report`);
    await p.locator('input[name="category"][value="funds"]').check();
    await p.locator('#description').fill('补助款没有打到我的一卡通上，村里说是被统筹用了，不知道去了哪里。');
    await p.locator('#files').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo });
    await navigate(p, () => p.locator('form[action="/report"] button[type="submit"]').click());
    t.equal(await p.locator('button[data-print]').isVisible(), true, 'with JavaScript on, the print button appears');
  });

  // Keeps the code and looks it up, typed in full-width digits with spaces.
  await navigate(page, () => page.locator('main a[href="/status"]').first().click());
  t.equal(await text(page, 'h1'), zh.status.heading);
  await page.locator('#code').pressSequentially(fullWidth(villagerCode));
  await shoot(page, 'status-form-full-width-code');
  await audit(t, 'status', (p) => p.goto(`${origin}/status`));
  await navigate(page, () => page.locator('form[action="/status"] button[type="submit"]').click());
  t.equal(await text(page, 'h1'), zh.status.resultHeading, 'a code in full-width digits with spaces is found');
  t.equal(await text(page, '.status-label'), zh.statuses.received.label);
  const call = page.locator('p.notice a[href^="tel:"]').last();
  t.equal(await call.evaluate((a) => a.getClientRects().length), 1, 'the hotline number in the blue box is not broken across lines');
  t.equal(await page.locator('main a[href="/"], footer a[href="/"]').filter({ hasText: zh.nav.home }).count(), 1, '首页 once at the bottom');
  await fits(t, page, 'status result');
  await shoot(page, 'status-received');
  await audit(t, 'status-result', (p) => lookUp(p, villagerCode));

  // Staff ask a question on the lead page (through the app, as an investigator).
  const asker = await signIn(ta, 'investigator', 'asker');
  const question = '请问您是哪一年交的这笔钱？当时有没有收据？';
  const asked = await asker.post(`/staff/leads/${reportRow.id}/question`, { version: String((await lead(ta, reportRow.id)).version), question });
  t.equal(asked.statusCode, 303, 'staff asked a question');

  // The villager looks the code up again (typed with dashes this time) and finds the question.
  await lookUp(page, villagerCode.replace(/(\d{4})(?=\d)/g, '$1-'));
  const asking = page.locator('.thread li.message-question').last();
  t.equal(await asking.locator('.update-body').innerText(), question, 'the question is shown');
  t.equal(await asking.locator('.flag').innerText(), zh.messages.awaiting, 'marked as awaiting an answer');
  await shoot(page, 'status-question-awaiting');
  await audit(t, 'status-question', (p) => lookUp(p, villagerCode));

  const answer = '是2022年3月交的，交给了村会计，没有给收据，只说以后会补。';
  await page.locator('input[name="kind"][value="answer"]').check();
  await page.locator('#text').fill(answer);
  await shoot(page, 'status-answer-filled');
  await navigate(page, () => page.locator('form[action="/status/messages"] button[type="submit"]').click());
  t.equal(await text(page, 'p.notice[role="status"]'), zh.messages.sent.answer, 'the answer is acknowledged');
  t.equal(await page.locator('.thread li.message-answer .update-body').last().innerText(), answer, 'the answer is in the thread');
  t.equal(await page.locator('.thread li.message-question .flag').count(), 0, 'the question no longer awaits an answer');
  await shoot(page, 'status-answered');
  await audit(t, 'status-answered', (p) => lookUp(p, villagerCode));

  await context.close();
});

await t.test('a clerk records a phone lead; an investigator accepts, asks, concludes; the reporter follows each step', async (t) => {
  await addStaff(ta, 'clerk-wang', 'clerk');
  await addStaff(ta, 'inv-li', 'investigator');

  // The clerk records a call and reads the code to the caller.
  const clerk = await staffPage(t, 'clerk-wang', 'clerk-login');
  await staffMenu(clerk, '/staff/intake');
  await clerk.locator('#channel').selectOption('hotline');
  await clerk.locator('input[name="category"][value="policy"]').check();
  await clerk.locator('#description').fill('来电反映：村支书的亲戚房子不是危房，却拿到了危房改造补助，真正的危房户没有评上。');
  await shoot(clerk, 'clerk-intake-filled');
  await navigate(clerk, () => clerk.locator('form[action="/staff/intake"] button[type="submit"]').click());
  const heading = await text(clerk, '#receipt-title');
  const leadId = /(\d+)/.exec(heading)?.[1];
  t.ok(leadId, `the lead is recorded: ${heading}`);
  const callerCode = (await text(clerk, '#tracking-code')).replace(/ /g, '');
  t.match(callerCode, /^\d{20}$/, 'the clerk has a code to read to the caller');
  await shoot(clerk, 'clerk-receipt-code');

  // The caller, at home, on their phone.
  const reporterContext = await phone();
  const reporter = await reporterContext.newPage();
  await lookUp(reporter, fullWidth(callerCode));
  t.equal(await text(reporter, '.status-label'), zh.statuses.received.label, 'the caller finds the lead, received');
  await shoot(reporter, 'caller-status-received');

  // The investigator finds it in the queue and opens it.
  const inv = await staffPage(t, 'inv-li', 'investigator-login');
  if (!inv.url().endsWith('/staff/leads')) await staffMenu(inv, '/staff/leads');
  // The grouped menu fits one line at 1280 px: sign-out sits on the first item's row.
  const first = await inv.locator('nav.staff-nav summary').first().boundingBox();
  const logout = await inv.locator('nav.staff-nav form[action="/staff/logout"] button').boundingBox();
  t.ok(first && logout && Math.abs(first.y + first.height / 2 - (logout.y + logout.height / 2)) < 8, 'the staff menu fits one line at 1280 px');
  const row = inv.locator(`table.queue a[href="/staff/leads/${leadId}"]`);
  t.equal(await row.count(), 1, 'the lead is in the queue');
  await shoot(inv, 'investigator-queue');
  await navigate(inv, () => row.click());
  t.match(await text(inv, 'h1'), leadId!, 'the lead page opens');
  await shoot(inv, 'investigator-lead');

  const handle = async (to: string, publicUpdate: string, outcome?: string) => {
    await inv.goto(`${origin}/staff/leads/${leadId}`);
    const form = inv.locator(`form[action="/staff/leads/${leadId}/status"]`);
    await form.locator(`input[name="to"][value="${to}"]`).check();
    if (outcome) await form.locator('#outcome').selectOption(outcome);
    await form.locator('#publicUpdate').fill(publicUpdate);
    await navigate(inv, () => form.locator('button[type="submit"]').click());
    t.equal(new URL(inv.url()).pathname, `/staff/leads/${leadId}`, `moved to ${to}`);
    t.equal((await lead(ta, leadId!)).status, to, `the lead is ${to}`);
  };
  const reporterSees = async (status: keyof typeof zh.statuses, update: string, shot: string) => {
    await lookUp(reporter, callerCode);
    t.equal(await text(reporter, '.status-label'), zh.statuses[status].label, `the caller sees: ${zh.statuses[status].label}`);
    t.equal(await reporter.locator('ol.updates:not(.thread) .update-body').last().innerText(), update, 'and the public update');
    await shoot(reporter, shot);
  };

  const accepted = '您反映的问题已受理，我们正在核查。';
  await handle('verifying', accepted);
  await shoot(inv, 'investigator-accepted');
  await reporterSees('verifying', accepted, 'caller-status-accepted');

  // A question from the lead page; the caller answers it.
  const question = '您说的亲戚是哪个村的？房子大概在什么位置？';
  await inv.goto(`${origin}/staff/leads/${leadId}`);
  await inv.locator('#question').fill(question);
  await navigate(inv, () => inv.locator(`form[action="/staff/leads/${leadId}/question"] button[type="submit"]`).click());
  t.match(await text(inv, '#timeline-title + ol'), question, 'the question is in the lead timeline');
  await shoot(inv, 'investigator-asked');
  await lookUp(reporter, callerCode);
  t.equal(await reporter.locator('.thread li.message-question .flag').innerText(), zh.messages.awaiting, 'the caller sees the question awaiting');
  await reporter.locator('input[name="kind"][value="answer"]').check();
  await reporter.locator('#text').fill('就在本村三组，村口小卖部后面那栋两层新楼。');
  await navigate(reporter, () => reporter.locator('form[action="/status/messages"] button[type="submit"]').click());
  t.equal(await text(reporter, 'p.notice[role="status"]'), zh.messages.sent.answer, 'the answer is sent');
  await shoot(reporter, 'caller-answered');

  const investigating = '已进入调查阶段。';
  await handle('investigating', investigating);
  await reporterSees('investigating', investigating, 'caller-status-investigating');

  const concluded = '经查属实，已责令退还违规领取的补助，并对相关人员作出处理。';
  await handle('concluded', concluded, 'substantiated');
  await shoot(inv, 'investigator-concluded');
  await reporterSees('concluded', concluded, 'caller-status-concluded');
  const updates = await reporter.locator('ol.updates:not(.thread) .update-body').allInnerTexts();
  t.same(updates, [accepted, investigating, concluded], 'the caller sees every public update, in order');
  await audit(t, 'status-concluded', (p) => lookUp(p, callerCode));

  // The dashboard at 1280 px: every chart label drawn at 12 px or more.
  await staffMenu(inv, '/staff/dashboard');
  const sizes = await inv.locator('svg.chart .chart-label').evaluateAll((labels) =>
    labels.map((l) => parseFloat(getComputedStyle(l).fontSize) * ((l as SVGGraphicsElement).getScreenCTM()?.a ?? 0)),
  );
  t.ok(sizes.length > 10 && Math.min(...sizes) >= 12, `dashboard chart labels are at least 12 px (smallest ${Math.min(...sizes).toFixed(1)})`);
  await shoot(inv, 'dashboard');

  // The staff menu on a phone: it wraps into whole groups, and a group opens and leads on.
  const small = await newContext(browser, { ...PHONE, javaScriptEnabled: false }, requested);
  const staffPhone = await small.newPage();
  await staffPhone.context().addCookies(await inv.context().cookies());
  await staffPhone.goto(`${origin}/staff/leads`);
  const nav = await staffPhone.locator('nav.staff-nav').evaluate((n) => ({ scroll: n.scrollWidth, client: n.clientWidth }));
  t.ok(nav.scroll <= nav.client, 'the staff menu fits 360 px');
  await staffMenu(staffPhone, '/staff/2fa');
  t.equal(new URL(staffPhone.url()).pathname, '/staff/2fa', 'and works there');
  await shoot(staffPhone, 'staff-menu-phone');
  await small.close();

  await reporterContext.close();
  await clerk.context().close();
  await inv.context().close();
});

await t.test('every public page fits 360 px in both languages; the wallet cards read on screen and print at card size', async (t) => {
  const context = await phone();
  const page = await context.newPage();
  for (const lang of ['zh-CN', 'en']) {
    for (const path of ['/', '/report', '/status', '/results', '/poster', '/poster/card', '/no-such-page']) {
      await page.goto(`${origin}${path}?lang=${lang}`);
      await fits(t, page, `${path} (${lang})`);
    }
    await lookUp(page, villagerCode);
    await fits(t, page, `status result (${lang})`);
  }
  await page.goto(`${origin}/results?lang=en`);
  await shoot(page, 'results-english-phone');
  await page.goto(`${origin}/poster/card?lang=zh-CN`);
  const size = (selector: string) => page.locator(selector).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  t.ok((await size('.wallet-card p:not(.wallet-title)')) >= 16, 'on screen the card text is at least 16 px');
  await page.emulateMedia({ media: 'print' });
  const printed = await size('.wallet-card p:not(.wallet-title)');
  t.ok(printed > 9 && printed < 12, `printed, the card keeps its card size (${printed.toFixed(1)} px = 8 pt)`);
  await page.emulateMedia({ media: 'screen' });
  await context.close();
});

await t.test('the other public pages: accessibility and weight', async (t) => {
  await audit(t, 'results', (p) => p.goto(`${origin}/results`), 'results');
  await audit(t, 'poster', (p) => p.goto(`${origin}/poster`), 'poster');
  await audit(t, 'poster-card', (p) => p.goto(`${origin}/poster/card`), 'poster-card');
  // A typo in a code (wrong check digit), an unknown code, an unknown address.
  const typo = villagerCode.slice(0, 19) + String((Number(villagerCode[19]) + 1) % 10);
  await audit(t, 'status-typo', (p) => lookUp(p, typo), 'status-typo-in-code');
  const unknown = '1234567890123456789';
  await audit(t, 'status-unknown', (p) => lookUp(p, unknown + String(dammDigit(unknown))), 'status-unknown-code');
  await audit(t, 'not-found', (p) => p.goto(`${origin}/no-such-page`), 'page-not-found');
  const statuses = Object.fromEntries(auditor.weights.map((w) => [w.page, w.status]));
  t.equal(statuses['status-typo'], 400);
  t.equal(statuses['status-unknown'], 404);
  t.equal(statuses['not-found'], 404);
  t.end();
});

await t.test('page weight and origins', async (t) => {
  const table = weightTable(auditor.weights);
  t.comment(`page weight (first visit, cache off, JavaScript on):\n${table}`);
  writeFileSync(join(OUTPUT_DIR, 'page-weight.json'), `${JSON.stringify({ limitBytes: MAX_PAGE_BYTES, pages: auditor.weights }, null, 2)}\n`);
  for (const w of auditor.weights) {
    t.ok(w.transferBytes < MAX_PAGE_BYTES, `${w.page}: ${w.transferBytes} bytes, everything included, under 100 KB`);
    t.ok(w.requests >= 2, `${w.page}: the document and its stylesheet were counted`);
  }
  const foreign = [...new Set(requested.filter((u) => !/^(data|blob|about):/.test(u)).map((u) => new URL(u).origin))].filter((o) => o !== origin);
  t.same(foreign, [], `every request went to ${origin}`);
  t.ok(requested.length > 0, 'requests were recorded');
  if (auditor.notes.length) t.comment(`axe (moderate/minor, not failed on): ${auditor.notes.map((v) => `${v.page}: ${v.id} (${v.impact})`).join('; ')}`);
  t.comment(
    `browser journey took ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(screenshots ${timing.screenshots} ms, loading and weighing ${timing.weigh} ms, axe ${timing.axe} ms)`,
  );
  t.end();
});
