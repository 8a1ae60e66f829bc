import { sql } from 'kysely';
import t from 'tap';
import { checkCharacter } from '../../src/households/id-number.js';
import { estimatedHouseholds } from '../../src/households/repository.js';
import { makeHouseholdSchema } from '../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys, IMPORT_BATCH } from '../../src/households/service.js';
import { campaign, testApp, TEST_SECRET } from '../support/app.js';
import { addStaff } from '../support/staff.js';

// A large import into an empty register refreshes the planner's statistics as it grows, so its
// later batches are not planned for an empty table (src/households/service.ts storeAll).

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
