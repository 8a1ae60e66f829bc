import type { InjectOptions } from 'fastify';
import t from 'tap';
import { FORM, formBody, testApp, testDatabase, VALID_REPORT } from '../support/app.js';
import { testRedis } from '../support/redis.js';

// With REDIS_URL the limits are counted in Redis, so two instances (two apps here, one database)
// share them; without Redis reachable each instance counts alone. What Redis holds about a client
// is an HMAC of its address, only for the window.

const A = '192.0.2.10';
const B = '192.0.2.20';

const submit = (remoteAddress: string): InjectOptions => ({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT, remoteAddress });
const lookup = (remoteAddress: string, code: string): InjectOptions => ({ method: 'POST', url: '/api/v1/status', payload: { code }, remoteAddress });
const login = (remoteAddress: string): InjectOptions => ({
  method: 'POST', url: '/staff/login', headers: FORM, payload: formBody({ username: 'nobody', password: 'wrong password here' }), remoteAddress,
});
const UNKNOWN = '0'.repeat(20);

// One database for the whole file (migrating a fresh one per test is the slow part); each test
// has its own addresses, Redis prefix and apps.
const database = await testDatabase(t);

async function twoInstances(tt: Parameters<typeof testApp>[0], env: Record<string, string>) {
  const one = await testApp(tt, { env, database });
  const two = await testApp(tt, { env, database });
  return { one, two };
}

t.test('submissions, lookups and logins are counted across instances', async (t) => {
  const redis = await testRedis(t);
  const { one, two } = await twoInstances(t, {
    ...redis.env, RATE_LIMIT_SUBMISSIONS_PER_HOUR: '2', RATE_LIMIT_LOOKUPS_PER_15_MIN: '3', RATE_LIMIT_LOGINS_PER_15_MIN: '2',
  });
  t.equal((await one.app.inject(submit(A))).statusCode, 201);
  const code = (await two.app.inject(submit(A))).json<{ code: string }>().code;
  const third = await one.app.inject(submit(A));
  t.equal(third.statusCode, 429, 'the third submission is refused, on the first instance');
  const retry = Number(third.headers['retry-after']);
  t.ok(retry > 3500 && retry <= 3600, `Retry-After ${retry}s: the window begun on the other instance`);
  t.equal((await two.app.inject(submit(B))).statusCode, 201, 'another address is unaffected');

  for (const app of [one.app, two.app, one.app]) t.equal((await app.inject(lookup(A, code))).statusCode, 200);
  t.equal((await two.app.inject(lookup(A, code))).statusCode, 429, 'the fourth lookup, wherever it lands');

  for (const app of [one.app, two.app]) t.not((await app.inject(login(A))).statusCode, 429);
  t.equal((await one.app.inject(login(A))).statusCode, 429, 'the third login attempt');
  t.not((await two.app.inject(login(B))).statusCode, 429, 'another address may still sign in');

  const keys = await redis.keys();
  t.ok(keys.length >= 4, `${keys.length} counters in Redis`);
  t.same(keys.filter((k) => k.includes(A) || k.includes(B) || k.includes('192.0.2')), [], 'no key holds an address');
  const ttls = await Promise.all(keys.map((k) => redis.client.pttl(k)));
  t.ok(ttls.every((ms) => ms > 0), 'every counter expires with its window');
});

t.test('a block for failed lookups holds on every instance, and expires in Redis', async (t) => {
  const redis = await testRedis(t);
  const { one, two } = await twoInstances(t, { ...redis.env, RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '2' });
  const code = (await one.app.inject(submit('192.0.2.99'))).json<{ code: string }>().code;
  t.equal((await one.app.inject(lookup(A, UNKNOWN))).statusCode, 404);
  t.equal((await two.app.inject(lookup(A, UNKNOWN))).statusCode, 404);
  t.equal((await one.app.inject(lookup(A, UNKNOWN))).statusCode, 429, 'the third failure');
  t.equal((await two.app.inject(lookup(A, code))).statusCode, 429, 'the other instance refuses even a right code');
  t.equal((await two.app.inject(lookup('2001:db8:0:1::1', UNKNOWN))).statusCode, 404);
  t.equal((await one.app.inject(lookup(B, code))).statusCode, 200, 'another address is answered');

  const blocks = (await redis.keys()).filter((k) => k.startsWith(`${redis.env.REDIS_PREFIX}block:`));
  t.equal(blocks.length, 1, 'one block');
  const ttl = await redis.client.pttl(blocks[0]!);
  t.ok(ttl > 3_500_000 && ttl <= 3_600_000, 'kept in Redis for the rest of the hour only');
});

t.test('with Redis unreachable each instance counts alone: limits hold, requests are served, one warning', async (t) => {
  // Port 1 on loopback: nothing listens there, so every connection is refused at once.
  const env = { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1', RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '1' };
  const { one, two } = await twoInstances(t, env);
  const code = (await one.app.inject(submit(A))).json<{ code: string }>().code;
  t.ok(code, 'a report is accepted');
  t.equal((await one.app.inject(submit(A))).statusCode, 429, 'and the limit still holds on this instance');
  t.equal((await two.app.inject(submit(A))).statusCode, 201, 'the other instance counts for itself');

  t.equal((await one.app.inject(lookup(A, UNKNOWN))).statusCode, 404);
  t.equal((await one.app.inject(lookup(A, UNKNOWN))).statusCode, 429, 'failed lookups are still limited');
  t.equal((await one.app.inject(lookup(A, code))).statusCode, 429, 'and the block holds');
  t.equal((await one.app.inject(lookup(B, code))).statusCode, 200);

  const warnings = one.logs.filter((l) => l.includes('Redis unreachable'));
  t.equal(warnings.length, 1, 'one warning for the outage, not one per request');
  t.same(one.logs.filter((l) => l.includes('192.0.2.')), [], 'no log line names a client');
});

t.test('a guessing run spread over many addresses: past the portal-wide budget every lookup waits, staff are told once', async (t) => {
  const redis = await testRedis(t);
  const { one, two } = await twoInstances(t, {
    ...redis.env, RATE_LIMIT_PORTAL_FAILED_LOOKUPS_PER_HOUR: '10', RATE_LIMIT_SLOW_LOOKUP_SECONDS: '1', RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '5',
  });
  await database.db.deleteFrom('mail_outbox').where('kind', '=', 'guessing').execute();
  const code = (await one.app.inject(submit('192.0.2.201'))).json<{ code: string }>().code;
  const timed = async (app: typeof one.app, address: string) => {
    const started = Date.now();
    const res = await app.inject(lookup(address, code));
    return { status: res.statusCode, ms: Date.now() - started };
  };
  t.ok((await timed(two.app, '198.51.100.1')).ms < 900, 'before the run, a lookup is answered at once');

  // 12 addresses, one unknown code each, alternating instances: no address reaches its own limit.
  for (let i = 0; i < 12; i++) {
    const res = await (i % 2 ? two : one).app.inject(lookup(`203.0.113.${i + 1}`, UNKNOWN));
    t.equal(res.statusCode, 404, `unknown code ${i + 1}: a plain not found`);
  }
  for (const [name, app] of [['one', one.app], ['two', two.app]] as const) {
    const r = await timed(app, '198.51.100.2');
    t.equal(r.status, 200, `instance ${name}: a real code is still answered`);
    t.ok(r.ms >= 900, `instance ${name}: but after the wait (${r.ms} ms)`);
  }
  for (let i = 0; i < 5; i++) await one.app.inject(lookup(`203.0.113.${i + 50}`, UNKNOWN));
  const notices = await database.db.selectFrom('mail_outbox').select(['kind', 'dedup_key']).where('kind', '=', 'guessing').execute();
  t.equal(notices.length, 1, 'one notice for the hour, whichever instance passed the budget');
  t.match(notices[0]!.dedup_key, /^guessing:\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
  const audit = await database.db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'lookups.guessing').execute();
  t.equal(audit.length, 1, 'and one audit entry');
  t.same(audit[0]!.detail, { hour: notices[0]!.dedup_key!.slice('guessing:'.length), budget: 10 });
  t.equal(audit[0]!.actor_id, null);
  const keys = await redis.keys();
  t.ok(keys.some((k) => k.includes('failed-portal:')), 'the count is kept in Redis');
});
