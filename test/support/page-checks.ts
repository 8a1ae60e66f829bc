import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';

// The strict CSP and clean markup every HTML page must have (test/security.test.ts and the tests of
// newer pages check with these).

export const EXPECTED_CSP: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'manifest-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

export function parseCsp(header: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of String(header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out[name] = values;
  }
  return out;
}

export function checkHeaders(t: Test, name: string, res: LightMyRequestResponse) {
  const csp = String(res.headers['content-security-policy'] ?? '');
  t.same(parseCsp(csp), EXPECTED_CSP, `${name}: CSP is exactly the strict policy`);
  t.notMatch(csp, /unsafe-|https?:|data:|\*/, `${name}: CSP allows no inline code, host, scheme or wildcard`);
  t.equal(res.headers['referrer-policy'], 'no-referrer', `${name}: Referrer-Policy`);
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`);
  t.equal(res.headers['x-frame-options'], 'DENY', `${name}: X-Frame-Options`);
  t.match(res.headers['permissions-policy'], /(^|, )camera=\(\)/, `${name}: Permissions-Policy`);
  t.match(res.headers['permissions-policy'], /(^|, )geolocation=\(\), /, `${name}: Permissions-Policy`);
}

/** Every opening tag in the page, e.g. `<a href="/">`. */
export function tags(html: string): string[] {
  return html.match(/<[a-zA-Z][^>]*>/g) ?? [];
}

export function checkMarkup(t: Test, name: string, html: string) {
  t.match(html, /^<!doctype html>/i, `${name}: is an HTML page`);
  const inlineScripts = (html.match(/<script\b[^>]*>/gi) ?? []).filter((tag) => !/\ssrc="\/[^/]/.test(tag));
  t.same(inlineScripts, [], `${name}: every <script> loads a same-origin file`);
  t.match(html, /<script src="\/static\/app\.js" defer><\/script>/, `${name}: the one script is external`);
  t.notMatch(html, /<style[\s>]/i, `${name}: no <style> element`);
  const withStyle = tags(html).filter((tag) => /\sstyle\s*=/i.test(tag));
  t.same(withStyle, [], `${name}: no style= attribute`);
  const withHandler = tags(html).filter((tag) => /\son[a-z]+\s*=/i.test(tag));
  t.same(withHandler, [], `${name}: no on*= event handler`);
  const urls = [...html.matchAll(/\s(?:src|href|action|srcset|poster|formaction|data)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]!);
  t.ok(urls.length > 0, `${name}: has links to check`);
  const foreign = urls.filter((u) => !/^(\/(?!\/)|#|\?|tel:)/.test(u));
  t.same(foreign, [], `${name}: every src/href/action is same-origin (or tel:)`);
  t.notMatch(html, /\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?\/\//i, `${name}: no http(s) or protocol-relative resource`);
  t.notMatch(html, /javascript:/i, `${name}: no javascript: URL`);
  for (const form of html.match(/<form\b[^>]*>/gi) ?? []) {
    // A filter form may GET; everything else posts.
    t.match(form, /\smethod="(post|get)"/, `${name}: form works without JavaScript`);
    t.match(form, /\saction="\/[a-z]/, `${name}: form has a real action`);
  }
  for (const body of html.match(/<form\b[\s\S]*?<\/form>/gi) ?? []) {
    t.match(body, /<button type="submit"/, `${name}: form has a real submit button`);
  }
}
