import t from 'tap';
import { checkCharacter } from '../../src/households/id-number.js';
import { findFlags, refreshFlags, upsertStandard } from '../../src/households/repository.js';
import { makeHouseholdSchema } from '../../src/households/schema.js';
import { clearHouseholdFlag, commitImport, flagSettings, householdKeys, revealIdNumber } from '../../src/households/service.js';
import { allStoredValues, campaign, findNeedles, testApp, TEST_SECRET, VALID_REPORT } from '../support/app.js';
import { addStaff } from '../support/staff.js';

// One household for every flag kind, with clean households beside them: each flag fires for its
// reason, clean rows stay clean, a re-import changes nothing, a correction resolves (never deletes)
// a flag, and a cleared flag keeps its note.

const schema = makeHouseholdSchema(() => campaign);
const keys = householdKeys(TEST_SECRET);
const settings = flagSettings(campaign);

/** A valid ID number: Chongqing, born on the day given, with its check character. */
function idNumber(serial: number, born = '19600101'): string {
  const first17 = `500233${born}${String(serial).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

const ALL_ARCHIVE = Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, '有']));

/** A clean household of its own peer group (the year), paid the standard 35,000 in full. */
function household(serial: number, year: number, changes: Record<string, unknown> = {}) {
  const name = `户主${serial}`;
  return {
    village: 'gulu', villageGroup: '3组', headName: name, idNumber: idNumber(serial), householdType: '建档立卡贫困户',
    dangerGrade: 'D级', method: '拆除重建', programmeYear: String(year), approvedYuan: '3.5万元',
    acceptedOn: `${year}年10月1日`, postedVillageFrom: `${year}-03-01`, postedVillageTo: `${year}-03-10`,
    postedTownFrom: `${year}-03-15`, postedTownTo: `${year}-03-25`, archive: ALL_ARCHIVE,
    payments: [{ paidOn: `${year}-11-01`, amountYuan: '35,000', payeeName: name, channel: '一卡通' }],
    ...changes,
  };
}

const pay = (paidOn: string, amountYuan: string, payeeName: string) => [{ paidOn, amountYuan, payeeName, channel: '一卡通' }];

const FIXTURE: { raw: ReturnType<typeof household>; expect: string[] }[] = [
  { raw: household(1, 2020), expect: [] },
  { raw: household(2, 2020), expect: [] },
  { raw: household(3, 2020, { proxyReason: '户主卧病，儿子代领', payments: pay('2020-11-01', '35000', '户主3之子') }), expect: [] },
  { raw: household(4, 2017), expect: ['duplicate_id'] },
  { raw: household(4, 2018, { village: 'caoping' }), expect: ['duplicate_id'] },
  { raw: household(5, 2019, { approvedYuan: '30000', payments: pay('2019-11-01', '30000', '户主5') }), expect: ['off_standard'] },
  { raw: household(6, 2021, { approvedYuan: '40000' }), expect: ['off_approved'] },
  { raw: household(7, 2022, { method: '修缮加固', approvedYuan: '20000', payments: pay('2022-11-01', '20000', '户主7') }), expect: ['peer_difference'] },
  { raw: household(8, 2022, { method: '修缮加固', approvedYuan: '22000', payments: pay('2022-11-01', '22000', '户主8') }), expect: ['peer_difference'] },
  { raw: household(9, 2023, { payments: pay('2023-09-01', '35000', '户主9') }), expect: ['paid_before_acceptance'] },
  { raw: household(10, 2024, { acceptedOn: '' }), expect: ['paid_without_acceptance'] },
  { raw: household(11, 2019, { village: 'wuniu', payments: pay('2019-11-01', '35000', '李某') }), expect: ['proxy_payee'] },
  { raw: household(12, 2019, { village: 'xindian', postedTownFrom: '', postedTownTo: '' }), expect: ['not_posted'] },
  { raw: household(13, 2019, { village: 'yinhua', postedVillageTo: '2019-03-03' }), expect: ['posting_short'] },
  { raw: household(14, 2019, { village: 'changshou', archive: { ...ALL_ARCHIVE, appraisal: '无' } }), expect: ['archive_missing'] },
  { raw: household(15, 2018), expect: ['named_in_lead'] },
];

async function liveFlags(ta: Awaited<ReturnType<typeof testApp>>) {
  const rows = await ta.database.db
    .selectFrom('household_flags as f')
    .innerJoin('households as h', 'h.id', 'f.household_id')
    .select(['h.head_name', 'h.village', 'f.kind'])
    .where('f.resolved_at', 'is', null)
    .where('f.cleared_at', 'is', null)
    .execute();
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[`${r.head_name}@${r.village}`] ??= []).push(r.kind);
  for (const v of Object.values(out)) v.sort();
  return out;
}

t.test('one household for every flag kind: each fires, clean ones stay clean; re-import, correction, clearing', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const clerk = await addStaff(ta, 'clerk1', 'clerk');
  const admin = await addStaff(ta, 'admin1', 'admin');
  await upsertStandard(db, { householdType: 'registered_poor', dangerGrade: 'D', method: 'rebuild', yearFrom: 2017, yearTo: 2030, amountYuan: '35000', updatedBy: admin.id });
  const inputs = FIXTURE.map((f) => schema.parse(f.raw));
  t.same(await commitImport(db, keys, settings, clerk.id, inputs), { created: FIXTURE.length, updated: 0, unchanged: 0 });

  // A lead names household 15.
  const report = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
  t.equal(report.statusCode, 201);
  const [lead] = await db.selectFrom('reports').select('id').execute();
  const h15 = await db.selectFrom('households').select('id').where('head_name', '=', '户主15').executeTakeFirstOrThrow();
  await db.insertInto('household_leads').values({ household_id: h15.id, report_id: lead!.id, linked_by: admin.id }).execute();
  await refreshFlags(db, ['gulu'], settings);

  const flags = await liveFlags(ta);
  for (const f of FIXTURE) {
    t.same(flags[`${f.raw.headName}@${f.raw.village}`] ?? [], f.expect, `${f.raw.headName} (${f.raw.village}, ${f.raw.programmeYear}): ${f.expect.join(', ') || 'clean'}`);
  }
  const kinds = new Set(Object.values(flags).flat());
  t.equal(kinds.size, 11, 'every kind of flag is in the fixture');
  const detail = await db.selectFrom('household_flags').select(['kind', 'detail']).where('kind', 'in', ['off_standard', 'posting_short', 'archive_missing']).orderBy('kind').execute();
  t.same(detail.map((d) => [d.kind, d.detail]), [
    ['archive_missing', { missing: ['appraisal'] }],
    ['off_standard', { amount: 30000, standard: 35000 }],
    ['posting_short', { village: 3, town: 11, min: 7 }],
  ], 'each flag keeps the figures its reason names');

  // The same file again changes nothing.
  const history = async () => (await db.selectFrom('household_history').select('id').execute()).length;
  const before = await history();
  t.same(await commitImport(db, keys, settings, clerk.id, FIXTURE.map((f) => schema.parse(f.raw))), { created: 0, updated: 0, unchanged: FIXTURE.length });
  t.equal(await history(), before, 'no history for an unchanged re-import');

  // A corrected file updates the changed row, in its history, and the flag is resolved, not deleted.
  const corrected = FIXTURE.map((f) => (f.raw.headName === '户主13' ? { ...f.raw, postedVillageTo: '2019-03-12' } : f.raw));
  t.same(await commitImport(db, keys, settings, clerk.id, corrected.map((r) => schema.parse(r))), { created: 0, updated: 1, unchanged: FIXTURE.length - 1 });
  const h13 = await db.selectFrom('households').select(['id', 'version']).where('head_name', '=', '户主13').executeTakeFirstOrThrow();
  t.equal(h13.version, 2);
  const change = await db.selectFrom('household_history').select(['changes', 'actor_id', 'source']).where('household_id', '=', h13.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.same(change, { changes: { postedVillageTo: ['2019-03-03', '2019-03-12'] }, actor_id: clerk.id, source: 'import' });
  const h13flags = await findFlags(db, h13.id);
  t.match(h13flags, [{ kind: 'posting_short', resolved_at: Date }], 'the flag is kept, resolved');

  // Clearing needs a note, keeps the flag's row and is audited; a refresh does not raise it again.
  const h11 = await db.selectFrom('households').select('id').where('head_name', '=', '户主11').executeTakeFirstOrThrow();
  const [proxy] = await findFlags(db, h11.id);
  t.ok(await clearHouseholdFlag(db, admin.id, h11.id, proxy!.id, '已核实：户主授权其邻居代领，有签字委托书'));
  t.notOk(await clearHouseholdFlag(db, admin.id, h11.id, proxy!.id, '再清一次'), 'a cleared flag cannot be cleared twice');
  await refreshFlags(db, null, settings);
  t.match(await findFlags(db, h11.id), [{ kind: 'proxy_payee', resolved_at: null, cleared_at: Date, clear_note: '已核实：户主授权其邻居代领，有签字委托书' }]);
  t.notOk((await liveFlags(ta))['户主11@wuniu'], 'no longer listed as open');
  const audit = await db.selectFrom('audit_log').select(['action', 'detail']).where('action', 'like', 'household.%').orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['household.import', 'household.import', 'household.import', 'household.flag.clear']);

  // ID numbers: sealed, matched by a keyed hash, masked; the full number only through the audited reveal.
  const shown = await db.selectFrom('households').select(['id', 'id_masked']).where('head_name', '=', '户主1').executeTakeFirstOrThrow();
  t.equal(shown.id_masked, `500${'*'.repeat(11)}${idNumber(1).slice(-4)}`);
  t.equal(await revealIdNumber(db, keys, admin.id, shown.id, '核对重复领取'), idNumber(1));
  const stored = await allStoredValues(db);
  t.same(findNeedles(stored, FIXTURE.map((f) => f.raw.idNumber)), [], 'no ID number in any column of any table, nor in the audit log');
  t.match(await db.selectFrom('audit_log').select('detail').where('action', '=', 'household.id.reveal').execute(), [{ detail: { household: shown.id, reason: '核对重复领取' } }]);
});
