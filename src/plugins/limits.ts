import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Address6 } from 'ip-address';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isIPv6 } from 'node:net';
import { isLoopbackHost, type RateLimits } from '../config.js';
import { TooManyRequestsError } from '../lib/errors.js';
import { connectSharedRedis, type SharedRedis } from '../limits/redis.js';

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

/**
 * True when the client connected from this machine. The socket's own peer address, never a
 * forwarded header (even with TRUST_PROXY): only the first-admin set-up link (src/staff/setup.ts)
 * asks, and the address is compared, never kept. This file stays the one place that reads it.
 */
export function fromThisMachine(request: FastifyRequest): boolean {
  // Behind a reverse proxy on the same machine every peer is loopback: a request the proxy
  // forwarded (it says so in these headers) came from elsewhere.
  if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined || request.headers['x-real-ip'] !== undefined) return false;
  const peer = request.socket.remoteAddress;
  return peer !== undefined && isLoopbackHost(peer);
}

export interface LimitsOptions {
  limits: RateLimits;
  /** Counters shared by every instance, or null for this process's memory alone. */
  redis: { url: string; prefix: string } | null;
  /** Keys each client address (src/lib/secret.ts, 'rate-limit-key'). */
  addressKey: Buffer;
  /** Called once per hour in which the portal-wide budget of unknown codes is passed (staff are told). */
  onGuessing?: (hourStart: Date) => Promise<void>;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type LimitResult = Awaited<ReturnType<Limiter>>;

const HOUR = 3_600_000;

/** The client's address as counted: an IPv6 client by its /64, as @fastify/rate-limit's own key does. */
function countedAddress(ip: string): string {
  if (!isIPv6(ip)) return ip.toLowerCase();
  const address = new Address6(ip);
  if (address.isMapped4()) return address.to4().correctForm();
  return new Address6(`${ip}/64`).startAddress().correctForm();
}

/**
 * Abuse limits keyed by the client address (behind TRUST_PROXY, the forwarded one: the only use of
 * it). The address is counted only as an HMAC under a key derived from APP_SECRET, so neither this
 * process's memory nor Redis holds it, and Redis keeps each counter only for its window (TTL).
 * Nothing about a limit is ever written to the database or a log.
 *
 * With REDIS_URL every instance counts in Redis. When Redis is unreachable the limits neither fail
 * open nor closed: each instance counts in its own memory until Redis is back (logged once). Failing
 * closed would turn away every villager — reports and lookups alike — for an outage of an internal
 * cache; failing open would lift the failed-lookup limit, the one thing that keeps tracking codes
 * unguessable online. Counting per instance keeps every limit in force, at worst as many times
 * looser as there are instances, which still leaves a guesser nowhere (10^19 codes).
 */
export default fp(
  async (app, opts: LimitsOptions) => {
    // Worked out once per request: a lookup asks for it for its counter and again for the block list.
    const keys = new WeakMap<FastifyRequest, string>();
    const key = (request: FastifyRequest) => {
      let k = keys.get(request);
      if (k === undefined) {
        k = createHmac('sha256', opts.addressKey).update(countedAddress(request.ip)).digest('base64url').slice(0, 22);
        keys.set(request, k);
      }
      return k;
    };

    const shared = opts.redis ? await connectSharedRedis(opts.redis.url, app.log) : null;
    if (shared) app.addHook('onClose', async () => shared.close());

    const fallback = shared ? await memoryLimiters(app) : null;
    const store: RateLimitPluginOptions = shared
      ? { redis: shared.client, nameSpace: `${opts.redis!.prefix}rl:`, skipOnError: false }
      : {};
    await app.register(rateLimit, { global: false, ...store });

    // Every limiter made by createRateLimit shares one Redis key prefix, so the limiter's name goes
    // into the key: else submissions and lookups would count against each other.
    const limiter = (name: string, max: number, timeWindow: number): Limiter => {
      const options = { max, timeWindow, keyGenerator: (request: FastifyRequest) => `${name}:${key(request)}` };
      const primary = app.createRateLimit(options);
      if (!fallback) return primary;
      const local = fallback(options);
      return async (request) => {
        try {
          return await primary(request);
        } catch (err) {
          shared!.failed(err);
          return local(request);
        }
      };
    };
    const refuseWhenExceeded = (r: LimitResult) => {
      if (!r.isAllowed && r.isExceeded) throw new TooManyRequestsError(Math.ceil(r.ttlInSeconds));
    };
    const check = (name: string, max: number, timeWindow: number): Check => {
      const limit = limiter(name, max, timeWindow);
      return async (request) => refuseWhenExceeded(await limit(request));
    };

    // An address that used up its failed lookups is refused every lookup until the window ends,
    // so a guesser gains nothing by guessing on: a right code would not be answered either. The
    // block is keyed like the counters (an IPv6 client by its subnet), so rotating addresses inside
    // one subnet does not escape it; with Redis it holds on every instance.
    const blocks = blockList(shared, opts.redis?.prefix ?? '');
    const lookupLimit = limiter('lookup', opts.limits.lookupsPer15Min, HOUR / 4);
    const failedLimit = limiter('failed', opts.limits.failedLookupsPerHour, HOUR);
    const budget = portalBudget(shared, opts.redis?.prefix ?? '', opts.limits.portalFailedLookupsPerHour);
    app.decorate('limits', {
      submit: check('submit', opts.limits.submissionsPerHour, HOUR),
      lookup: async (request) => {
        const r = await lookupLimit(request);
        const blockedMs = await blocks.remainingMs(key(request));
        if (blockedMs > 0) throw new TooManyRequestsError(Math.ceil(blockedMs / 1000));
        refuseWhenExceeded(r);
        if (budget.exceeded()) await sleep(opts.limits.slowLookupMs);
      },
      failedLookup: async (request) => {
        const passed = await budget.count();
        if (passed) await opts.onGuessing?.(passed).catch((err: unknown) => app.log.error({ err }, 'guessing notice failed'));
        const r = await failedLimit(request);
        if (r.isAllowed || !r.isExceeded) return;
        await blocks.add(key(request), r.ttl);
        refuseWhenExceeded(r);
      },
      login: check('login', opts.limits.loginsPer15Min, HOUR / 4),
      notFound: check('not-found', 120, 60_000),
    });
  },
  { name: 'limits' },
);

/**
 * The in-memory limiters used while Redis is unreachable. They come from a second registration in
 * a scope of its own, since the plugin decorates only the first scope it is registered in: this one
 * is registered first, so that the app's own createRateLimit is Redis's.
 */
async function memoryLimiters(app: FastifyInstance): Promise<FastifyInstance['createRateLimit']> {
  let make!: FastifyInstance['createRateLimit'];
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false });
    make = scope.createRateLimit.bind(scope);
  });
  return make;
}

/**
 * The portal-wide budget of unknown codes per clock hour: a guessing run spread over many addresses
 * passes every per-address limit, but not this. Past it, every lookup waits (slowLookupMs) until
 * the hour ends — a villager with a real code still gets an answer, a guesser gets fewer — and
 * staff are told once. With Redis the count is shared by every instance (one key per hour, expiring
 * after it); each instance learns that the budget is passed from its own count, so no lookup pays a
 * Redis read for it.
 */
function portalBudget(shared: SharedRedis | null, prefix: string, max: number) {
  let local = { hour: -1, n: 0 };
  let passedUntil = 0;
  return {
    exceeded: () => Date.now() < passedUntil,
    /** Counts one unknown code; the hour's start when this one passed the budget first, else null. */
    async count(): Promise<Date | null> {
      const hour = Math.floor(Date.now() / HOUR);
      if (local.hour !== hour) local = { hour, n: 0 };
      local.n += 1;
      let n = local.n;
      if (shared) {
        const redisKey = `${prefix}failed-portal:${hour}`;
        n = await shared.client
          .multi()
          .incr(redisKey)
          .pexpire(redisKey, 2 * HOUR)
          .exec()
          .then((r) => Number(r?.[0]?.[1] ?? local.n), (err: unknown) => (shared.failed(err), local.n));
      }
      if (n <= max) return null;
      passedUntil = (hour + 1) * HOUR;
      return n === max + 1 ? new Date(hour * HOUR) : null;
    },
  };
}

/**
 * Blocked addresses (as keyed above): in Redis, one key per block that expires with it; in memory
 * too, so a block set while Redis was unreachable still holds on this instance.
 */
function blockList(shared: SharedRedis | null, prefix: string) {
  const local = new Map<string, number>();
  const redisKey = (key: string) => `${prefix}block:${key}`;
  return {
    async add(key: string, ms: number) {
      if (local.size > 100_000) for (const [k, until] of local) if (until <= Date.now()) local.delete(k);
      local.set(key, Date.now() + ms);
      if (shared) await shared.client.set(redisKey(key), '1', 'PX', Math.max(1, ms)).catch(shared.failed);
    },
    async remainingMs(key: string): Promise<number> {
      const until = local.get(key);
      if (until !== undefined && until <= Date.now()) local.delete(key);
      const mine = until !== undefined ? until - Date.now() : 0;
      const theirs = shared ? await shared.client.pttl(redisKey(key)).catch((err: unknown) => (shared.failed(err), 0)) : 0;
      return Math.max(mine, theirs);
    },
  };
}
