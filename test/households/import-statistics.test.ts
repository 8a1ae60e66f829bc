import { sql } from 'kysely';
import t from 'tap';
import { checkCharacter } from '../../src/households/id-number.js';
import { estimatedHouseholds } from '../../src/households/repository.js';
import { makeHouseholdSchema } from '../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys, IMPORT_BATCH } from '../../src/households/service.js';
import { campaign, testApp, TEST_SECRET } from '../support/app.js';
import { addStaff } from '../support/staff.js';

// A large import: it refreshes the planner's statistics as it grows, so its
// later batches are not planned for an empty table, and reads a batch while the last is stored,
// all in one transaction (src/households/service.ts storeAll).

const schema = makeHouseholdSchema(() => campaign);

function household(serial: number) {
  const day = String(1 + Math.floor(serial / 1000)).padStart(2, '0');
  const first17 = `500233196001${day}${String(serial % 1000).padStart(3, '0')}`;
  const name = `户主${serial}`;
  return schema.parse({
    village: 'gulu', villageGroup: '1组', headName: name, idNumber: first17 + checkCharacter(first17), householdType: '建档立卡贫困户',
    dangerGrade: 'D级', method: '拆除重建', programmeYear: '2020', approvedYuan: '35000',
    payments: [{ paidOn: '2020-11-01', amountYuan: '35000', payeeName: name, channel: '一卡通' }],
  });
}

t.test('the statistics follow the register while an import fills it', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const clerk = await addStaff(ta, 'clerk1', 'clerk');
  t.ok((await estimatedHouseholds(db)) < IMPORT_BATCH, 'the register starts with no statistics to speak of');
  const rows = Array.from({ length: 2 * IMPORT_BATCH + 500 }, (_, i) => household(i));
  const summary = await commitImport(db, householdKeys(TEST_SECRET), flagSettings(campaign), clerk.id, rows);
  t.equal(summary.created, rows.length);
  // Refreshed inside the import (after 1,000 and 2,000 rows created), not only by autovacuum later.
  t.ok((await estimatedHouseholds(db)) >= 2 * IMPORT_BATCH, 'the planner knows the rows the import created');
  const payments = await sql<{ n: number }>`SELECT count(*)::int AS n FROM household_payments`.execute(db);
  t.equal(payments.rows[0]!.n, rows.length, 'every payment stored');
});

t.test('a file that stops reading clean after batches were stored changes nothing', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const clerk = await addStaff(ta, 'clerk1', 'clerk');
  function* rows() {
    for (let i = 0; i < 2 * IMPORT_BATCH + 500; i++) yield household(i);
    throw new Error('row 2501 no longer reads clean');
  }
  await t.rejects(commitImport(db, householdKeys(TEST_SECRET), flagSettings(campaign), clerk.id, rows()), /no longer reads clean/);
  const stored = await sql<{ n: number }>`SELECT (SELECT count(*) FROM households)::int + (SELECT count(*) FROM household_payments)::int AS n`.execute(db);
  t.equal(stored.rows[0]!.n, 0, 'the batches stored before the failure were rolled back');
});
