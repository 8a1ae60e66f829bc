import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

/** A Redis connection for the rate limits that reports, once per outage, when it goes and comes back. */
export interface SharedRedis {
  client: Redis;
  /** A command failed: counted as an outage (logged once) until the connection is ready again. */
  failed(err: unknown): void;
  close(): void;
}

/**
 * Connects to REDIS_URL and waits for the first connection (or its failure) so that an instance
 * counts in Redis from its first request. Never throws: while Redis is unreachable the limits fall
 * back to this instance's memory (see src/plugins/limits.ts) and the client keeps reconnecting.
 */
export async function connectSharedRedis(url: string, log: FastifyBaseLogger): Promise<SharedRedis> {
  const client = new Redis(url, {
    lazyConnect: true,
    // A request waits for no reconnection: a command fails at once while the link is down, and
    // after a second when Redis hangs, and the request is counted in memory instead.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  let down = false;
  const failed = (err: unknown) => {
    if (down) return;
    down = true;
    // The error names Redis's address, never a client's.
    log.warn({ error: (err as Error).message }, 'Redis unreachable: rate limits are counted by each instance alone until it is back');
  };
  client.on('error', failed);
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis reachable again: rate limits are shared across instances');
  });
  await client.connect().catch(failed);
  return { client, failed, close: () => client.disconnect() };
}

/** Every key under a prefix, by SCAN (never KEYS, which blocks the server): clean-up and checks. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}
