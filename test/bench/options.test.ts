import t from 'tap';
import { mixCycle } from '../../bench/lib/load.js';
import { parseOptions } from '../../bench/lib/options.js';

// The bench's settings and its mixed load's cycle (the bench itself is run by hand: npm run bench).

t.test('the mixed load runs by default and can be skipped', async (t) => {
  const defaults = parseOptions([], {});
  t.equal(defaults.mixed, true);
  t.equal(defaults.redisUrl, 'redis://127.0.0.1:6379');
  t.equal(parseOptions(['--no-mixed'], {}).mixed, false);
  t.equal(parseOptions([], { BENCH_MIXED: '0' }).mixed, false);
  t.equal(parseOptions(['--redis-url=redis://localhost:6380/2'], {}).redisUrl, 'redis://localhost:6380/2');
  t.equal(parseOptions([], { BENCH_REDIS_URL: 'redis://127.0.0.1:6381' }).redisUrl, 'redis://127.0.0.1:6381');
});

t.test('Redis must be on this machine, and a redis:// URL', async (t) => {
  t.throws(() => parseOptions(['--redis-url=redis://10.0.0.5:6379'], {}), /this machine only/);
  t.throws(() => parseOptions(['--redis-url=http://127.0.0.1:6379'], {}), /redis-url/);
  t.throws(() => parseOptions(['--redis-url=nonsense'], {}), /redis-url/);
  // Not used when the mixed load is skipped.
  t.equal(parseOptions(['--no-mixed', '--redis-url=redis://10.0.0.5:6379'], {}).mixed, false);
});

t.test('the other settings are unchanged', async (t) => {
  const o = parseOptions(['--duration=3', '--queue-leads=0', '--no-write'], {});
  t.equal(o.duration, 3);
  t.same(o.queueLeads, []);
  t.equal(o.write, false);
  t.throws(() => parseOptions(['--mixed'], {}), /Unknown argument/);
});

t.test('the cycle holds each kind its weight of times, the rarer ones spread out', async (t) => {
  const cycle = mixCycle([16, 3, 1]);
  t.equal(cycle.length, 20);
  t.same([0, 1, 2].map((k) => cycle.filter((c) => c === k).length), [16, 3, 1]);
  const submissions = cycle.flatMap((c, i) => (c === 1 ? [i] : []));
  const gaps = submissions.map((s, i) => (submissions[(i + 1) % submissions.length]! - s + 20) % 20);
  t.ok(gaps.every((g) => g >= 5 && g <= 9), `a submission every 5 to 9 requests (${gaps})`);
  t.ok(cycle.every((c, i) => c === 0 || cycle[(i + 1) % cycle.length] === 0), `no two of the rarer kinds side by side (${cycle.join('')})`);
  t.same(mixCycle([1]), [0]);
});

t.test('the household register’s part: on by default, skipped, run alone, with its sizes', async (t) => {
  const defaults = parseOptions([], {});
  t.same([defaults.register, defaults.registerOnly, defaults.registerRows, defaults.registerHouseholds], [true, false, 100_000, 1_000_000]);
  t.equal(parseOptions(['--no-register'], {}).register, false);
  t.equal(parseOptions([], { BENCH_REGISTER: '0' }).register, false);
  t.equal(parseOptions(['--register-only'], {}).registerOnly, true);
  t.equal(parseOptions([], { BENCH_REGISTER_ONLY: '1' }).registerOnly, true);
  t.throws(() => parseOptions(['--register-only', '--no-register'], {}), /contradict/);
  const quick = parseOptions(['--register-rows=2000', '--register-households=50000'], {});
  t.same([quick.registerRows, quick.registerHouseholds], [2000, 50_000]);
  t.equal(parseOptions([], { BENCH_REGISTER_ROWS: '300' }).registerRows, 300);
  t.throws(() => parseOptions(['--register-rows=0'], {}), /registerRows must be a number ≥ 1/);
  t.throws(() => parseOptions(['--register-rows=many'], {}), /registerRows/);
  // Run alone, the register needs no Redis, wherever the mixed load's would be.
  t.equal(parseOptions(['--register-only', '--redis-url=redis://10.0.0.5:6379'], {}).registerOnly, true);
});
