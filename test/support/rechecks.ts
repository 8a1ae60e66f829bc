import { checkCharacter } from '../../src/households/id-number.js';
import { makeHouseholdSchema } from '../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys } from '../../src/households/service.js';
import { campaign, TEST_SECRET, type TestApp } from './app.js';
import { addStaff } from './staff.js';

// Households for the re-check tests, through the register's own import (flags computed as in use).

const schema = makeHouseholdSchema(() => campaign);
const ARCHIVE = Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, '有']));

/** A valid ID number, distinct for each serial. */
export const householdId = (serial: number) => {
  const born = new Date(Date.UTC(1940, 0, 1) + serial * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `500233${born}${String(serial % 1000).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
};

export interface HouseholdSpec {
  village: string;
  name?: string;
  year?: number;
  /** Paid to someone else with no reason recorded: raises the proxy-payee flag. */
  proxy?: boolean;
}

let serial = 0;

/** Imports the households and returns their ids in the order given. */
export async function addHouseholds(ta: TestApp, specs: HouseholdSpec[]): Promise<string[]> {
  const importer = await addStaff(ta, `importer${++serial}`, 'clerk');
  const rows = specs.map((s, i) => {
    const n = serial * 1000 + i;
    const name = s.name ?? `户主${n}`;
    const year = s.year ?? 2020;
    return schema.parse({
      village: s.village, headName: name, idNumber: householdId(n), householdType: '低保户', dangerGrade: 'D', method: '拆除重建',
      programmeYear: String(year), approvedYuan: '30000', acceptedOn: `${year}-10-01`, postedVillageFrom: `${year}-03-01`, postedVillageTo: `${year}-03-10`,
      postedTownFrom: `${year}-03-15`, postedTownTo: `${year}-03-25`, archive: ARCHIVE,
      payments: [{ paidOn: `${year}-11-01`, amountYuan: '30000', payeeName: s.proxy ? '代领人' : name }],
    });
  });
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, rows);
  const ids = await ta.database.db.selectFrom('households').select('id').where('created_by', '=', importer.id).orderBy('id').execute();
  return ids.map((r) => r.id);
}

export const villages = (counts: Record<string, number>, extra: Omit<HouseholdSpec, 'village'> = {}): HouseholdSpec[] =>
  Object.entries(counts).flatMap(([village, n]) => Array.from({ length: n }, () => ({ village, ...extra })));
