import t from 'tap';
import { staleWhileRevalidate } from '../../src/lib/cache.js';

const tick = () => new Promise((r) => setImmediate(r));

t.test('computed once for concurrent first callers, then served from memory while fresh', async (t) => {
  let calls = 0;
  const get = staleWhileRevalidate(60_000, async () => ++calls);
  t.same(await Promise.all([get(), get(), get()]), [1, 1, 1]);
  t.equal(await get(), 1);
  t.equal(calls, 1);
});

t.test('once stale, the old value is served at once while one refresh runs', async (t) => {
  let calls = 0;
  let release: () => void = () => {};
  const get = staleWhileRevalidate(0, async () => {
    calls++;
    if (calls > 1) await new Promise<void>((r) => (release = r));
    return calls;
  });
  t.equal(await get(), 1);
  await new Promise((r) => setTimeout(r, 2));
  t.equal(await get(), 1, 'stale value, no waiting');
  t.equal(await get(), 1);
  t.equal(calls, 2, 'a single refresh in flight');
  release();
  await tick();
  await new Promise((r) => setTimeout(r, 2));
  t.equal(await get(), 2, 'the refreshed value');
});

t.test('a failed refresh keeps the last good value; a failed first computation is retried', async (t) => {
  let fail = true;
  const get = staleWhileRevalidate(0, async () => {
    if (fail) throw new Error('database down');
    return 'ok';
  });
  await t.rejects(get(), /database down/);
  fail = false;
  t.equal(await get(), 'ok');
  fail = true;
  await new Promise((r) => setTimeout(r, 2));
  t.equal(await get(), 'ok', 'old value while the refresh fails');
  await tick();
  t.equal(await get(), 'ok');
});
