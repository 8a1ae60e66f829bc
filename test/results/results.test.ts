import t, { type Test } from 'tap';
import { suppressSmallCounts } from '../../src/results/suppression.js';
import { testApp } from '../support/app.js';
import { checkHeaders, checkMarkup } from '../support/page-checks.js';
import { feasibleValues, seedLeads, times, totalReceived, villageCells } from '../support/results.js';

const FEW = '少于3件';
const WITHHELD = '不公布';

/** By subtraction from the total, no hidden cell is pinned to a count or known to be non-zero. */
function assertUnrecoverable(t: Test, cells: string[], total: number) {
  const values = feasibleValues(cells, total, FEW, WITHHELD);
  t.ok(values.some((v) => v.size > 0), 'the published figures are consistent with the total');
  cells.forEach((c, i) => {
    if (c !== FEW) return;
    t.ok(values[i]!.has(0), `cell ${i} could be 0, so it is neither pinned nor known to hold a report (${[...values[i]!].join(',')})`);
  });
}

t.test('suppression: for every small table, no hidden count can be worked out from the total', async (t) => {
  let published = 0;
  let withheld = 0;
  const visit = (counts: number[]) => {
    const cells = suppressSmallCounts(counts);
    if (!cells) return;
    published++;
    const text = cells.map((c) => (c.kind === 'shown' ? String(c.n) : c.kind === 'few' ? FEW : WITHHELD));
    if (text.includes(WITHHELD)) withheld++;
    t.notOk(cells.some((c) => c.kind === 'shown' && c.n < 3));
    const total = counts.reduce((a, b) => a + b, 0);
    const values = feasibleValues(text, total, FEW, WITHHELD);
    for (const [i, c] of text.entries()) {
      if (c === FEW && !values[i]!.has(0)) t.fail(`${counts.join(',')}: cell ${i} is known to be non-zero`);
    }
  };
  for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) for (let c = 0; c < 6; c++) for (let d = 0; d < 6; d++) visit([a, b, c, d]);
  t.ok(published > 1000 && withheld > 50, `${published} tables published, ${withheld} needed a second cell withheld`);
  t.same(suppressSmallCounts([2, 2]), null, 'nothing left to withhold: the table is not published');
  t.same(suppressSmallCounts([5, 0, 4]), [{ kind: 'shown', n: 5 }, { kind: 'few' }, { kind: 'shown', n: 4 }], 'a lone 0 gives nobody away');
});

t.test('/results: figures per category and status; villages with 1–2 reports shown as fewer than 3', async (t) => {
  const ta = await testApp(t);
  await seedLeads(ta, [
    ...times(5, { village: 'gulu', category: 'funds' }),
    ...times(2, { village: 'wuniu', category: 'policy', status: 'verifying' }),
    ...times(2, { village: 'wuniu', category: 'duty', status: 'concluded', outcome: 'substantiated' }),
    { village: 'caoping', category: 'integrity', status: 'concluded', outcome: 'unsubstantiated' },
    ...times(2, { village: 'xindian', category: 'integrity', status: 'concluded', outcome: 'partly' }),
    // This month's reports wait for next month's figures.
    ...times(4, { village: 'yinhua', receivedAt: new Date() }),
  ]);
  const res = await ta.app.inject('/results');
  t.equal(res.statusCode, 200);
  const html = res.body;
  t.equal(totalReceived(html), 12, 'this month is not counted yet');
  t.match(html, /<th scope="row">资金管理不规范<\/th><td[^>]*>5<\/td><td[^>]*>0<\/td><td[^>]*>0<\/td><td[^>]*>0<\/td>/);
  t.match(html, /<tfoot><tr><th scope="row">合计<\/th><td[^>]*>12<\/td><td[^>]*>7<\/td><td[^>]*>5<\/td><td[^>]*>4<\/td><\/tr><\/tfoot>/);
  const villages = villageCells(html);
  t.equal(villages.get('古路村'), '5');
  t.equal(villages.get('乌牛村'), '4');
  t.equal(villages.get('草坪村'), FEW);
  t.equal(villages.get('新店村'), FEW);
  t.equal(villages.get('银花村'), FEW, 'this month’s 4 are not counted: 0 is shown as fewer than 3 too');
  t.notOk([...villages.values()].some((v) => /^\d+$/.test(v) && Number(v) < 3), 'no count below 3 per village');
  assertUnrecoverable(t, [...villages.values()], totalReceived(html));
  checkHeaders(t, '/results', res);
  checkMarkup(t, '/results', html);
  const en = await ta.app.inject({ url: '/results', headers: { 'accept-language': 'en' } });
  t.match(en.body, /fewer than 3/);
});

t.test('/results: a single small village is not left to subtraction', async (t) => {
  const ta = await testApp(t);
  await seedLeads(ta, [
    ...times(6, { village: 'gulu' }),
    ...times(3, { village: 'caoping' }),
    ...times(4, { village: 'wuniu' }),
    ...times(3, { village: 'xindian' }),
    ...times(5, { village: 'yinhua' }),
    ...times(3, { village: null }),
    { village: 'changshou' },
  ]);
  const html = (await ta.app.inject('/results')).body;
  const villages = villageCells(html);
  t.equal(villages.get('长寿村'), FEW);
  t.equal(villages.get('草坪村'), WITHHELD, 'the smallest shown count is withheld as well');
  t.equal([...villages.values()].filter((v) => v === WITHHELD).length, 1);
  assertUnrecoverable(t, [...villages.values()], totalReceived(html));
});

t.test('/results: every village at 2 would give itself away, so no village table', async (t) => {
  const ta = await testApp(t);
  await seedLeads(ta, ['gulu', 'caoping', 'wuniu', 'xindian', 'yinhua', 'changshou', null].flatMap((village) => times(2, { village })));
  const html = (await ta.app.inject('/results')).body;
  t.equal(villageCells(html).size, 0);
  t.match(html, /举报数量足够多/);
});
