import t from 'tap';
import { drawSample } from '../../src/lookback/sample.js';
import { orderCandidates, stratifiedDraw, villageSeed } from '../../src/rechecks/draw.js';

// The stratified draw on its own: the fixed order, the per-village seeds, the shares.

const list = (counts: Record<string, number>) => {
  let id = 0;
  return Object.entries(counts).flatMap(([village, n]) => Array.from({ length: n }, () => ({ id: String(++id), village })));
};

t.test('the fixed order: village id by code point, then household id as a number', async (t) => {
  const ordered = orderCandidates([{ id: '10', village: 'b' }, { id: '9', village: 'b' }, { id: '100', village: 'a-x' }, { id: '2', village: 'a' }]);
  t.same(ordered.map((c) => `${c.village}:${c.id}`), ['a:2', 'a-x:100', 'b:9', 'b:10']);
});

t.test('uneven villages: each at least 1% rounded up and at least the minimum', async (t) => {
  const candidates = list({ gulu: 250, caoping: 3, wuniu: 1, xindian: 100 });
  const d = stratifiedDraw('public-0815', candidates, 1, 1);
  t.same(d.villages.map((v) => [v.village, v.candidates, v.drawn.length]), [['caoping', 3, 1], ['gulu', 250, 3], ['wuniu', 1, 1], ['xindian', 100, 1]]);
  for (const v of d.villages) {
    const own = candidates.filter((c) => c.village === v.village).map((c) => c.id);
    t.ok(v.drawn.every((id) => own.includes(id)), `${v.village}: drawn from its own households`);
    t.same(v.drawn, drawSample(villageSeed('public-0815', v.village), own, 1, 1), `${v.village}: drawSample under "<seed>:<village>"`);
  }
  t.same(stratifiedDraw('public-0815', candidates, 5, 2).villages.map((v) => v.drawn.length), [2, 13, 1, 5], '5%, at least 2, never more than there are');
  t.same(stratifiedDraw('public-0815', candidates, 1, 0).villages.map((v) => v.drawn.length), [1, 3, 1, 1], 'minimum 0: the rate still rounds up');
});

t.test('reproducible: the same seed over the same list, in any input order; the digest follows the list', async (t) => {
  const candidates = list({ gulu: 40, caoping: 12 });
  const a = stratifiedDraw('seed-1', candidates, 10, 1);
  t.same(stratifiedDraw('seed-1', [...candidates].reverse(), 10, 1), a, 'the input order does not matter');
  t.notSame(stratifiedDraw('seed-2', candidates, 10, 1).villages, a.villages, 'another seed, other households');
  t.equal(a.keys[0], 'household:41', 'caoping first');
  t.equal(a.keys.length, 52);
  const changed = stratifiedDraw('seed-1', candidates.slice(1), 10, 1);
  t.not(changed.digest, a.digest, 'one household fewer: another digest');
  t.match(a.digest, /^[0-9a-f]{64}$/);
  t.same(stratifiedDraw('x', [], 1, 1).villages, [], 'nothing to draw from: nothing drawn');
});
