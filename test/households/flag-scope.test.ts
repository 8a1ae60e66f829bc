import t from 'tap';
import { checkCharacter } from '../../src/households/id-number.js';
import { makeHouseholdSchema } from '../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys, saveHousehold } from '../../src/households/service.js';
import { campaign, testApp, TEST_SECRET } from '../support/app.js';
import { addStaff } from '../support/staff.js';

// A change refreshes the flags of the households it touched and of those that share an ID number
// or a peer group (village, type, grade, method, year) with them, before and after the change:
// households the change did not touch lose a flag it ended, and households elsewhere are left alone.

const schema = makeHouseholdSchema(() => campaign);
const keys = householdKeys(TEST_SECRET);
const settings = flagSettings(campaign);
const ARCHIVE = Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, '有']));

function idNumber(serial: number): string {
  const first17 = `500233${'19600101'}${String(serial).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

function household(serial: number, year: number, changes: Record<string, unknown> = {}) {
  const name = `户主${serial}`;
  const amount = (changes.approvedYuan as string | undefined) ?? '35000';
  return {
    village: 'gulu', villageGroup: '3组', headName: name, idNumber: idNumber(serial), householdType: '建档立卡贫困户',
    dangerGrade: 'D级', method: '拆除重建', programmeYear: String(year), approvedYuan: amount,
    acceptedOn: `${year}-10-01`, postedVillageFrom: `${year}-03-01`, postedVillageTo: `${year}-03-10`,
    postedTownFrom: `${year}-03-15`, postedTownTo: `${year}-03-25`, archive: ARCHIVE,
    payments: [{ paidOn: `${year}-11-01`, amountYuan: amount, payeeName: name, channel: '一卡通' }],
    ...changes,
  };
}

t.test('an edit resolves the flags it ended on households it did not touch, and touches nothing else', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const clerk = await addStaff(ta, 'clerk1', 'clerk');
  const raw = [
    household(1, 2020),
    household(1, 2021, { village: 'caoping' }), // the same ID number: both are duplicates
    household(2, 2022, { approvedYuan: '20000' }),
    household(3, 2022, { approvedYuan: '22000' }), // peers paid differently
    household(4, 2019, { village: 'wuniu', postedTownFrom: '', postedTownTo: '' }), // elsewhere, not posted
  ];
  await commitImport(db, keys, settings, clerk.id, raw.map((r) => schema.parse(r)));
  const live = async () => {
    const rows = await db
      .selectFrom('household_flags as f')
      .innerJoin('households as h', 'h.id', 'f.household_id')
      .select(['h.head_name', 'h.village', 'f.kind', 'f.raised_at'])
      .where('f.resolved_at', 'is', null)
      .orderBy('h.head_name').orderBy('h.village').orderBy('f.kind')
      .execute();
    return rows.map((r) => `${r.head_name}@${r.village}: ${r.kind}`);
  };
  t.same(await live(), [
    '户主1@caoping: duplicate_id', '户主1@gulu: duplicate_id',
    '户主2@gulu: peer_difference', '户主3@gulu: peer_difference',
    '户主4@wuniu: not_posted',
  ]);
  const elsewhere = await db.selectFrom('household_flags').select(['id', 'raised_at']).where('kind', '=', 'not_posted').executeTakeFirstOrThrow();

  const find = (name: string, village: string) =>
    db.selectFrom('households').select(['id', 'version']).where('head_name', '=', name).where('village', '=', village).executeTakeFirstOrThrow();
  // The record in caoping gets its own ID number: the one in gulu is no longer a duplicate.
  const c = await find('户主1', 'caoping');
  t.same(await saveHousehold(db, keys, settings, clerk.id, schema.parse({ ...raw[1], idNumber: idNumber(9) }), c), { id: c.id });
  // Household 3 was in the wrong year: household 2 has no peer left to differ from.
  const h3 = await find('户主3', 'gulu');
  t.same(await saveHousehold(db, keys, settings, clerk.id, schema.parse({ ...raw[3], programmeYear: '2023' }), h3), { id: h3.id });
  t.same(await live(), ['户主4@wuniu: not_posted'], 'the flags the edits ended are resolved, on the households edited and on the others');
  t.same(
    await db.selectFrom('household_flags').select(['id', 'raised_at']).where('kind', '=', 'not_posted').executeTakeFirstOrThrow(),
    elsewhere,
    'the flag of a household the change does not concern is the same row',
  );
  const counts = await db.selectFrom('household_village_counts').select(['village', 'households', 'flagged']).orderBy('village').execute();
  t.same(counts, [
    { village: 'caoping', households: 1, flagged: 0 },
    { village: 'gulu', households: 3, flagged: 0 },
    { village: 'wuniu', households: 1, flagged: 1 },
  ], 'the counts of every village the change concerned are taken again');

  // Moving household 3 back re-raises the peer flags on both, the untouched one included.
  const h3b = await find('户主3', 'gulu');
  t.same(await saveHousehold(db, keys, settings, clerk.id, schema.parse(raw[3]), h3b), { id: h3b.id });
  t.same(await live(), ['户主2@gulu: peer_difference', '户主3@gulu: peer_difference', '户主4@wuniu: not_posted']);
});
