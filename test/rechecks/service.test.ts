import t from 'tap';
import { drawSample } from '../../src/lookback/sample.js';
import { stratifiedDraw, villageSeed } from '../../src/rechecks/draw.js';
import { listCandidates } from '../../src/rechecks/repository.js';
import { drawRechecks, recordRecheck } from '../../src/rechecks/service.js';
import { testApp } from '../support/app.js';
import { addHouseholds, villages } from '../support/rechecks.js';
import { addStaff } from '../support/staff.js';

// The re-check use cases against the database: the draw recorded with its seed and digest and
// repeatable from them, forced flagged households, a recorded re-check with its history, audit
// row and (on a difference) exactly one linked problem-list row, and a second record refused.

const settings = { kind: 'recheck' as const, ratePercent: 1, minimumPerVillage: 1, year: null, forceFlagged: false };

t.test('a draw: stratified, recorded, repeatable from its seed; forced flagged households', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const admin = await addStaff(ta, 'admin0', 'admin');
  await addHouseholds(ta, villages({ gulu: 230, caoping: 4 }));
  const flagged = await addHouseholds(ta, [{ village: 'wuniu', proxy: true }, { village: 'wuniu' }, { village: 'wuniu', proxy: true }, { village: 'caoping', proxy: true }]);
  await addHouseholds(ta, villages({ xindian: 3 }, { year: 2018 }));

  const id = await drawRechecks(db, admin.id, { ...settings, seed: 'lottery-2023-0815' });
  const draw = await db.selectFrom('recheck_draws').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  t.match(draw, { kind: 'recheck', seed: 'lottery-2023-0815', minimum_per_village: 1, candidate_count: 241, programme_year: null, forced_flagged: false });
  const items = await db.selectFrom('recheck_items as i').innerJoin('households as h', 'h.id', 'i.household_id').select(['i.household_id', 'i.forced', 'h.village', 'i.position']).where('i.draw_id', '=', id).orderBy('i.position').execute();
  const perVillage = (v: string) => items.filter((i) => i.village === v).length;
  t.same([perVillage('caoping'), perVillage('gulu'), perVillage('wuniu'), perVillage('xindian')], [1, 3, 1, 1], '1% rounded up and at least one in every village');
  t.same(items.map((i) => i.position), items.map((_, n) => n + 1));

  // Anyone can repeat it: the candidates in the fixed order, the seed, the per-village seeds.
  const repeated = stratifiedDraw(draw.seed, await listCandidates(db, null), Number(draw.rate_percent), draw.minimum_per_village);
  t.equal(repeated.digest, draw.candidate_digest, 'the recorded digest is that of the candidate list');
  t.same(repeated.villages.flatMap((v) => v.drawn), items.map((i) => i.household_id), 'the recorded seed gives the same households');
  const wuniu = (await listCandidates(db, null)).filter((c) => c.village === 'wuniu').map((c) => c.id).sort((a, b) => Number(a) - Number(b));
  t.same(items.filter((i) => i.village === 'wuniu').map((i) => i.household_id), drawSample(villageSeed(draw.seed, 'wuniu'), wuniu, 1, 1));
  const audit = await db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'recheck.draw').execute();
  t.match(audit, [{ actor_id: admin.id, detail: { draw: id, seed: 'lottery-2023-0815', candidates: 241, digest: draw.candidate_digest, forced: [] } }]);

  const again = await drawRechecks(db, admin.id, { ...settings, seed: 'lottery-2023-0815' });
  const againItems = await db.selectFrom('recheck_items').select('household_id').where('draw_id', '=', again).orderBy('position').execute();
  t.same(againItems.map((i) => i.household_id), items.map((i) => i.household_id), 'same seed, same candidates: same items');

  // A household more: another digest.
  await addHouseholds(ta, [{ village: 'gulu' }]);
  const third = await drawRechecks(db, admin.id, { ...settings, seed: 'lottery-2023-0815' });
  const thirdDraw = await db.selectFrom('recheck_draws').select(['candidate_digest', 'candidate_count']).where('id', '=', third).executeTakeFirstOrThrow();
  t.not(thirdDraw.candidate_digest, draw.candidate_digest, 'a changed list, another digest');
  t.equal(thirdDraw.candidate_count, 242);

  // Forced: every household with an open flag is in, marked, once.
  const forced = await drawRechecks(db, admin.id, { ...settings, forceFlagged: true });
  const forcedItems = await db.selectFrom('recheck_items').select(['household_id', 'forced']).where('draw_id', '=', forced).execute();
  const proxies = [flagged[0]!, flagged[2]!, flagged[3]!];
  for (const h of proxies) t.ok(forcedItems.some((i) => i.household_id === h), `flagged household ${h} is in`);
  t.equal(new Set(forcedItems.map((i) => i.household_id)).size, forcedItems.length, 'no household twice');
  const openFlagged = await db.selectFrom('household_flags').select('household_id').distinct().where('resolved_at', 'is', null).where('cleared_at', 'is', null).execute();
  t.ok(forcedItems.filter((i) => i.forced).every((i) => openFlagged.some((f) => f.household_id === i.household_id)), 'only flagged households are forced');
  t.ok(forcedItems.filter((i) => i.forced).length >= 1, 'some flagged households were put in beyond the random draw');
  t.equal((await db.selectFrom('recheck_draws').select('forced_flagged').where('id', '=', forced).executeTakeFirstOrThrow()).forced_flagged, true);

  // One programme year only.
  const y2018 = await drawRechecks(db, admin.id, { ...settings, year: 2018 });
  const y = await db.selectFrom('recheck_draws').select(['candidate_count', 'programme_year', 'kind']).where('id', '=', y2018).executeTakeFirstOrThrow();
  t.same(y, { candidate_count: 3, programme_year: 2018, kind: 'recheck' });
});

t.test('recording: once, with its history and audit row; a difference makes exactly one linked problem row', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const admin = await addStaff(ta, 'admin0', 'admin');
  const clerk = await addStaff(ta, 'clerk0', 'clerk');
  const [household] = await addHouseholds(ta, [{ village: 'gulu', name: '王大山' }]);
  const drawId = await drawRechecks(db, admin.id, { ...settings, kind: 'spot_check' });
  const item = await db.selectFrom('recheck_items').select('id').where('draw_id', '=', drawId).executeTakeFirstOrThrow();
  const record = {
    method: 'home_visit' as const,
    checkedOn: '2026-01-01',
    fields: { householdType: true, approvedYuan: false, payeeName: true },
    note: '实际只收到两万元',
    problem: { category: 'funds' as const, deadline: '2026-03-01' },
  };
  const text = { problem: '抽查发现补助金额不符', measures: '核实后纠正' };
  const first = await recordRecheck(db, clerk.id, item.id, record, text);
  t.match(first, { recorded: true, problemRowId: /^\d+$/ });
  const second = await recordRecheck(db, clerk.id, item.id, { ...record, note: '第二次提交' }, text);
  t.same(second, { recorded: false, reason: 'recorded' }, 'a second submit changes nothing');
  t.same(await recordRecheck(db, clerk.id, '999999', record, text), { recorded: false, reason: 'missing' });

  const stored = await db.selectFrom('recheck_items').select(['method', 'checked_on', 'checker_id', 'fields', 'note']).where('id', '=', item.id).executeTakeFirstOrThrow();
  t.same(stored, { method: 'home_visit', checked_on: '2026-01-01', checker_id: clerk.id, fields: { householdType: true, approvedYuan: false, payeeName: true }, note: '实际只收到两万元' });
  const rows = await db.selectFrom('problem_rows').selectAll().execute();
  t.equal(rows.length, 1, 'exactly one problem row');
  t.match(rows[0], { village: 'gulu', category: 'funds', source: 'register', problem: '抽查发现补助金额不符', measures: '核实后纠正', deadline: '2026-03-01', created_by: clerk.id });
  t.same(await db.selectFrom('problem_row_households').select(['row_id', 'household_id', 'recheck_item_id']).execute(), [{ row_id: rows[0]!.id, household_id: household, recheck_item_id: item.id }]);
  const history = await db.selectFrom('household_history').select(['source', 'actor_id', 'changes']).where('household_id', '=', household!).where('source', '=', 'recheck').execute();
  t.match(history, [{ source: 'recheck', actor_id: clerk.id, changes: { recheck: drawId, method: 'home_visit', differs: 'approvedYuan', problemRow: rows[0]!.id } }]);
  const audit = await db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'recheck.record').execute();
  t.match(audit, [{ actor_id: clerk.id, detail: { item: item.id, household, problemRow: rows[0]!.id, fields: { approvedYuan: false } } }]);

  // All matching: no problem row, even if asked for.
  const other = await drawRechecks(db, admin.id, settings);
  const otherItem = await db.selectFrom('recheck_items').select('id').where('draw_id', '=', other).executeTakeFirstOrThrow();
  t.match(await recordRecheck(db, clerk.id, otherItem.id, { ...record, fields: { householdType: true }, note: '', problem: null }, text), { recorded: true, problemRowId: null });
  t.equal((await db.selectFrom('problem_rows').select('id').execute()).length, 1);
});
