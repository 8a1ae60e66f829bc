import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { keysUnder } from '../../src/limits/redis.js';

// The machine's Redis (CI starts it: .ci/run). Each test gets a key prefix of its own, so tests
// running in parallel never see each other's counters, and deletes only its own keys afterwards.

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** REDIS_URL and REDIS_PREFIX for an app that shares this test's counters. */
  env: { REDIS_URL: string; REDIS_PREFIX: string };
  client: Redis;
  /** Every key under this test's prefix. */
  keys(): Promise<string[]>;
}

/** Connects to the machine's Redis or throws a message saying how to start it (never a silent skip). */
export async function testRedis(t: Test): Promise<TestRedis> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new Error(
      `These tests need Redis at ${TEST_REDIS_URL} (${(err as Error).message}). ` +
        'Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""',
    );
  }
  const prefix = `test-${randomBytes(6).toString('hex')}:`;
  const keys = () => keysUnder(client, prefix);
  t.teardown(async () => {
    const left = await keys();
    if (left.length) await client.del(...left);
    client.disconnect();
  });
  return { env: { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }, client, keys };
}
