import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Test } from 'tap';

// The real-browser journey (test/browser/journey.test.ts): Debian's Chromium driven by
// playwright-core. No browser is ever downloaded: `.ci/run` installs the `chromium` package.

export const CHROMIUM = '/usr/bin/chromium';
export const OUTPUT_DIR = 'test-output/browser';

/**
 * Every wait in the browser is on the page's state (a locator, a load event), bounded by this: a
 * step on a slow, loaded machine may take seconds, so the bound is generous and the file's own
 * timeout (journey.test.ts) is sized to the whole run.
 */
export const STEP_MS = 30_000;

/** A cheap phone: the villager's device. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
  userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
};

/** The office's desktop: staff. */
export const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 900 },
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
};

export async function launchBrowser(t: Test): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium), as .ci/run does`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
  t.teardown(() => browser.close());
  const chineseFonts = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).stdout ?? '';
  if (!chineseFonts.trim()) t.comment('no Chinese font installed (apt-get install fonts-wqy-microhei): screenshots will show boxes');
  return browser;
}

/**
 * A context whose every request is recorded (to prove that nothing leaves the app's origin) and
 * whose waits are bounded.
 */
export async function newContext(browser: Browser, options: BrowserContextOptions, requested: string[]): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  context.on('request', (request) => requested.push(request.url()));
  return context;
}

/** Where the run's time goes (ms), reported at the end. */
export const timing = { screenshots: 0, axe: 0, weigh: 0 };

/** Empties the screenshot folder at the start of a run; returns a function saving numbered shots. */
export function screenshots(dir = OUTPUT_DIR) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page: Page, name: string) => {
    const t0 = Date.now();
    n += 1;
    const file = join(dir, `${String(n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true, scale: 'css', timeout: STEP_MS });
    timing.screenshots += Date.now() - t0;
    return file;
  };
}

/** Runs `action` (a click that submits a form or follows a link) and waits for the next page to load. */
export async function navigate(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForEvent('load', { timeout: STEP_MS }), action()]);
}

/** A tracking code typed the way a phone with a Chinese keyboard may send it: full-width digits, spaces. */
export function fullWidth(code: string): string {
  return code
    .replace(/\s/g, '')
    .replace(/(\d{4})(?=\d)/g, '$1 ')
    .replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
}

// --- Accessibility and page weight --------------------------------------------------------------

export interface Resource {
  url: string;
  type: string;
  status: number;
  /** Bytes on the wire, headers included (CDP Network.loadingFinished encodedDataLength). */
  transferBytes: number;
  /** Bytes of the body after any content decoding (sum of Network.dataReceived). */
  bodyBytes: number;
}

export interface PageWeight {
  page: string;
  url: string;
  status: number;
  requests: number;
  transferBytes: number;
  bodyBytes: number;
  resources: Resource[];
}

export interface AxeViolation {
  page: string;
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Opens public pages one at a time in a JavaScript-enabled phone context (axe needs script; the CSP
 * is bypassed only to inject it), with the cache off so that each page's weight is a first visit's:
 * the document and everything it loads.
 */
export class Auditor {
  readonly weights: PageWeight[] = [];
  readonly violations: AxeViolation[] = [];
  /** Every moderate or minor finding, reported but not failed on. */
  readonly notes: AxeViolation[] = [];

  constructor(
    private readonly context: BrowserContext,
    private readonly shoot: (page: Page, name: string) => Promise<string>,
  ) {}

  static async create(browser: Browser, requested: string[], shoot: (page: Page, name: string) => Promise<string>) {
    const context = await newContext(browser, { ...PHONE, javaScriptEnabled: true, bypassCSP: true }, requested);
    return new Auditor(context, shoot);
  }

  /** Forgets the language chosen with the switch (the lang cookie). */
  clearCookies() {
    return this.context.clearCookies();
  }

  /**
   * `go` brings a fresh page to the public page named `name` (a goto, or filling a form and
   * submitting it); then its weight is measured and axe run in it. `shot` names a screenshot of
   * it, for the pages no journey shows.
   */
  async check(name: string, go: (page: Page) => Promise<unknown>, shot?: string): Promise<{ weight: PageWeight; violations: AxeViolation[] }> {
    const page = await this.context.newPage();
    try {
      const cdp = await this.context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      const resources = new Map<string, Resource>();
      const pending = new Set<string>();
      let documentId: string | undefined;
      cdp.on('Network.requestWillBeSent', (e) => {
        if (!resources.has(e.requestId)) resources.set(e.requestId, { url: e.request.url, type: e.type ?? 'Other', status: 0, transferBytes: 0, bodyBytes: 0 });
        if (e.type === 'Document') documentId = e.requestId;
        pending.add(e.requestId);
      });
      cdp.on('Network.responseReceived', (e) => {
        const r = resources.get(e.requestId);
        if (r) r.status = e.response.status;
      });
      cdp.on('Network.dataReceived', (e) => {
        const r = resources.get(e.requestId);
        if (r) r.bodyBytes += e.dataLength;
      });
      // Waiting is on the page's own state: resolved when the last request it made has finished.
      let onSettled = () => {};
      const finished = (id: string) => {
        pending.delete(id);
        if (pending.size === 0) onSettled();
      };
      cdp.on('Network.loadingFinished', (e) => {
        const r = resources.get(e.requestId);
        if (r) r.transferBytes = e.encodedDataLength;
        finished(e.requestId);
      });
      cdp.on('Network.loadingFailed', (e) => finished(e.requestId));

      const t0 = Date.now();
      await go(page);
      await page.waitForLoadState('load', { timeout: STEP_MS });
      // The favicon counts too: Chromium asks for it after the load event (or, headless, not at all).
      const icons = await page.locator('link[rel~="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
      // For a page reached through a form, only the last document and what followed it count.
      const current = () => {
        const all = [...resources.entries()];
        const start = documentId ? all.findIndex(([id]) => id === documentId) : 0;
        return all.slice(Math.max(0, start));
      };
      const loaded = (url: string) => current().some(([, r]) => r.url === url && r.transferBytes > 0);
      if (pending.size > 0) {
        await new Promise<void>((resolve, reject) => {
          const bound = setTimeout(() => reject(new Error(`${name}: requests still pending after ${STEP_MS} ms`)), STEP_MS);
          onSettled = () => {
            clearTimeout(bound);
            resolve();
          };
        });
      }
      // Headless Chromium may ask for the icon late or never: what it has not loaded is fetched here.
      for (const href of icons.filter((h) => !loaded(h))) {
        const res = await page.request.get(href, { timeout: STEP_MS });
        const body = (await res.body()).length;
        const headers = res.headersArray().reduce((sum, h) => sum + h.name.length + h.value.length + 4, 0);
        for (const [id, r] of current()) if (r.url === href) resources.delete(id);
        resources.set(`icon:${href}`, { url: href, type: 'Favicon', status: res.status(), transferBytes: body + headers, bodyBytes: body });
      }
      const list = current().map(([, r]) => r);
      const documentStatus = list.find((r) => r.type === 'Document')?.status ?? 0;
      const weight: PageWeight = {
        page: name,
        url: page.url(),
        status: documentStatus,
        requests: list.length,
        transferBytes: list.reduce((s, r) => s + r.transferBytes, 0),
        bodyBytes: list.reduce((s, r) => s + r.bodyBytes, 0),
        resources: list,
      };
      this.weights.push(weight);
      await cdp.detach();
      timing.weigh += Date.now() - t0;

      if (shot) await this.shoot(page, shot);
      const { serious, notes } = await runAxe(page, name);
      this.violations.push(...serious);
      this.notes.push(...notes);
      return { weight, violations: serious };
    } finally {
      await page.close();
    }
  }
}

/**
 * Runs axe-core in a page that allows script (CSP bypassed, JavaScript on): the serious and
 * critical findings, and the rest as notes.
 */
export async function runAxe(page: Page, name: string): Promise<{ serious: AxeViolation[]; notes: AxeViolation[] }> {
  const t0 = Date.now();
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  const found = results.map((v) => ({ page: name, ...v }));
  const serious = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  timing.axe += Date.now() - t0;
  return { serious, notes: found.filter((v) => !serious.includes(v)) };
}

/**
 * Runs axe on what a JavaScript-off page shows, however it was reached (a form's POST included):
 * its HTML is served again at its own address in `axeContext` (JavaScript on, CSP bypassed), so its
 * stylesheets and images load from the app as they did.
 */
export async function axeOnCopy(axeContext: BrowserContext, page: Page, name: string) {
  const url = page.url();
  const html = await page.content();
  const copy = await axeContext.newPage();
  try {
    await copy.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }), { times: 1 });
    await copy.goto(url, { waitUntil: 'load' });
    return await runAxe(copy, name);
  } finally {
    await copy.close();
  }
}

export function weightTable(weights: PageWeight[]): string {
  const rows = weights.map((w) => [w.page, String(w.status), String(w.requests), String(w.bodyBytes), String(w.transferBytes), (w.transferBytes / 1024).toFixed(1)]);
  const head = ['page', 'status', 'requests', 'body bytes', 'transfer bytes', 'KB'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// --- Layout at phone width ----------------------------------------------------------------------

/** How wide the page is drawn (more than the viewport: it scrolls sideways). */
export function pageWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/**
 * A tracking code's layout: for each group, how many boxes it is drawn in (1: not split across
 * lines), and how many groups sit on each line, top to bottom.
 */
export async function codeLayout(page: Page, selector: string): Promise<{ boxes: number[]; perLine: number[] }> {
  return page.locator(selector).evaluate((code) => {
    const groups = [...code.querySelectorAll('.code-group')];
    const boxes = groups.map((g) => g.getClientRects().length);
    const tops: number[] = [];
    for (const g of groups) {
      const top = Math.round(g.getBoundingClientRect().top);
      const line = tops.findIndex((t) => Math.abs(t - top) < 4);
      if (line < 0) tops.push(top);
    }
    tops.sort((a, b) => a - b);
    const perLine = tops.map((t) => groups.filter((g) => Math.abs(Math.round(g.getBoundingClientRect().top) - t) < 4).length);
    return { boxes, perLine };
  });
}

/** Opens the staff menu group holding the link, then follows it. */
export async function staffMenu(page: Page, href: string): Promise<void> {
  const group = page.locator(`nav.staff-nav details:has(a[href="${href}"])`);
  if (!(await group.evaluate((d) => (d as HTMLDetailsElement).open))) await group.locator('summary').click();
  await navigate(page, () => group.locator(`a[href="${href}"]`).click());
}
