import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'sid';

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Where to return after login: only a path inside /staff, never another site. */
export function safeNext(value: unknown): string {
  const ok =
    typeof value === 'string' &&
    /^\/staff(\/[\w\-/?=&.%]*)?$/.test(value) &&
    !value.includes('..') &&
    !value.startsWith('/staff/login');
  return ok ? value : '/staff';
}

/** Sec-Fetch-Site or Origin shows the request came from a page of another site. */
export function fromAnotherSite(request: FastifyRequest, publicUrl: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  // Browsers send "null" under Referrer-Policy: no-referrer (ours): it says nothing either way.
  if (origin === undefined || origin === 'null') return false;
  const host = request.headers.host;
  return origin !== new URL(publicUrl).origin && origin !== `http://${host}` && origin !== `https://${host}`;
}
