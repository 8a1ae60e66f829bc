import t from 'tap';
import { recordAudit, viewAuditLog } from '../../src/audit/service.js';
import { insertStaffUser } from '../../src/staff/repository.js';
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

t.test('viewing the log reads the page and records the view in one go, never listing itself', async (t) => {
  const database = await testDatabase(t);
  const db = database.db;
  const admin = await insertStaffUser(db, { username: 'boss', role: 'admin', email: null, passwordHash: 'x' });
  for (let n = 1; n <= 3; n++) await recordAudit(db, { actorId: admin.id, action: 'lead.view', reportId: String(n) });
  const first = await viewAuditLog(db, { userId: admin.id }, { action: 'lead.view' }, 2);
  t.same(first.rows.map((r) => r.report_id), ['3', '2'], 'newest first, one page');
  t.ok(first.next, 'a next page');
  const second = await viewAuditLog(db, { userId: admin.id }, { action: 'lead.view', after: first.next! }, 2);
  t.same(second.rows.map((r) => r.report_id), ['1']);
  t.equal(second.next, null);
  const all = await viewAuditLog(db, { userId: admin.id }, {}, 50);
  t.same(all.rows.filter((r) => r.action === 'audit.view').length, 2, 'the two earlier views, not this one');
  const views = await db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'audit.view').orderBy('id').execute();
  t.same(views.map((v) => v.detail), [{ action: 'lead.view' }, { action: 'lead.view', page: 'next' }, {}]);
  t.ok(views.every((v) => v.actor_id === admin.id));
});
