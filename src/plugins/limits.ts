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
      /** Status lookups, form and API together. */
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
    app.decorate('limits', {
      submit: check(opts.limits.submissionsPerHour, HOUR),
      lookup: check(opts.limits.lookupsPer15Min, HOUR / 4),
      failedLookup: check(opts.limits.failedLookupsPerHour, HOUR),
      login: check(opts.limits.loginsPer15Min, HOUR / 4),
      notFound: check(120, 60_000),
    });
  },
  { name: 'limits' },
);
