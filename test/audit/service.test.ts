import t from 'tap';
import { recordAudit } from '../../src/audit/service.js';
import { serverUrl, testDatabase } from '../support/app.js';

t.test('the audit log is append-only in the database itself', async (t) => {
  const database = await testDatabase(t);
  await recordAudit(database.db, { actorId: null, actorName: 'someone', action: 'login.failure', detail: { reason: 'unknown' } });
  await t.rejects(database.pool.query("UPDATE audit_log SET action = 'login.success'"), /append-only/);
  await t.rejects(database.pool.query('DELETE FROM audit_log'), /append-only/);
  // PGlite's node-postgres adapter loses its connection on an error from a statement-level
  // trigger, so TRUNCATE is checked on a real server only.
  if (serverUrl()) await t.rejects(database.pool.query('TRUNCATE audit_log'), /append-only/);
  const rows = await database.db.selectFrom('audit_log').selectAll().execute();
  t.equal(rows.length, 1);
  t.equal(rows[0]!.action, 'login.failure');
  t.same(rows[0]!.detail, { reason: 'unknown' });
});
