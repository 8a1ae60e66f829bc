import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { unsealSlices, sealBytes } from '../../src/lib/seal.js';
import { closeImport, FILE_SLICE, findPendingImport, insertImport, readSealedFile } from '../../src/households/repository.js';
import { insertStaffUser } from '../../src/staff/repository.js';
import { testDatabase } from '../support/app.js';

// A previewed file kept sealed in the database until its commit, written and read in slices
// (src/households/repository.ts FILE_SLICE) so that neither the driver nor the result holds it whole.

t.test('a file of several slices is stored and read back as it was; closing drops it', async (t) => {
  const { db } = await testDatabase(t);
  const user = await insertStaffUser(db, { username: 'clerk1', role: 'clerk', email: null, passwordHash: 'unused' });
  const key = randomBytes(32);
  const file = randomBytes(2 * FILE_SLICE + 12345);
  const sealed = sealBytes(key, file);
  const id = await insertImport(db, { digest: createHash('sha256').update(file).digest(), kind: 'csv', sealed, rows: 1, uploadedBy: user.id });
  const pending = await findPendingImport(db, id);
  t.equal(pending?.file_bytes, sealed.length);
  t.ok((await unsealSlices(key, pending!.file_bytes!, readSealedFile(db, id, pending!.file_bytes!))).equals(file));
  await closeImport(db, id, 'discarded', {});
  t.equal(await findPendingImport(db, id), undefined);
  const row = await db.selectFrom('household_imports').select('file_sealed').where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(row.file_sealed, null);
});
