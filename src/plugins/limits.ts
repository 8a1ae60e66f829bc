import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RateLimits } from '../config.js';
import { TooManyRequestsError } from '../errors.js';

type Check = (request: FastifyRequest) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    limits: {
      /** Report submissions, form and API together. */
      submit: Check;
      /** Status lookups, form and API together; refused while the address is blocked for failures. */
      lookup: Check;
      /** Counts a lookup of a code that does not exist; throws once there were too many. */
      failedLookup: Check;
      /** Staff login attempts per address (accounts also lock after repeated failures). */
      login: Check;
      notFound: Check;
    };
  }
}

const HOUR = 3_600_000;

/**
 * Abuse limits keyed by the client address (behind TRUST_PROXY, the forwarded one). The counters
 * live in this process's memory only: never in the database, never in a log.
 */
export default fp(
  async (app, opts: { limits: RateLimits }) => {
    await app.register(rateLimit, { global: false });
    const check = (max: number, timeWindow: number): Check => {
      const limiter = app.createRateLimit({ max, timeWindow });
      return async (request) => {
        const r = await limiter(request);
        if (!r.isAllowed && r.isExceeded) throw new TooManyRequestsError(Math.ceil(r.ttlInSeconds));
      };
    };
    // An address that used up its failed lookups is refused every lookup until the window ends,
    // so a guesser gains nothing by guessing on: a right code would not be answered either. The
    // map is keyed like the limiter's own counters (an IPv6 client by its subnet), so rotating
    // addresses inside one subnet does not escape it; like them it lives in memory only.
    const blockedUntil = new Map<string, number>();
    const lookupLimit = app.createRateLimit({ max: opts.limits.lookupsPer15Min, timeWindow: HOUR / 4 });
    const failedLimit = app.createRateLimit({ max: opts.limits.failedLookupsPerHour, timeWindow: HOUR });
    app.decorate('limits', {
      submit: check(opts.limits.submissionsPerHour, HOUR),
      lookup: async (request) => {
        const r = await lookupLimit(request);
        const until = blockedUntil.get(r.key);
        if (until !== undefined && until > Date.now()) throw new TooManyRequestsError(Math.ceil((until - Date.now()) / 1000));
        if (until !== undefined) blockedUntil.delete(r.key);
        if (!r.isAllowed && r.isExceeded) throw new TooManyRequestsError(Math.ceil(r.ttlInSeconds));
      },
      failedLookup: async (request) => {
        const r = await failedLimit(request);
        if (r.isAllowed || !r.isExceeded) return;
        if (blockedUntil.size > 100_000) for (const [k, v] of blockedUntil) if (v <= Date.now()) blockedUntil.delete(k);
        blockedUntil.set(r.key, Date.now() + r.ttlInSeconds * 1000);
        throw new TooManyRequestsError(Math.ceil(r.ttlInSeconds));
      },
      login: check(opts.limits.loginsPer15Min, HOUR / 4),
      notFound: check(120, 60_000),
    });
  },
  { name: 'limits' },
);
