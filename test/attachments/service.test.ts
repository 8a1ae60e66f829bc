import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { openAttachment } from '../../src/attachments/service.js';
import { viewLead } from '../../src/leads/service.js';
import { makeReportInputSchema } from '../../src/reports/schema.js';
import { reportKeys } from '../../src/reports/service.js';
import { submitReport } from '../../src/reports/submit.js';
import { calendar, campaign, TEST_SECRET, testApp, VALID_REPORT, type TestApp } from '../support/app.js';
import { addStaff } from '../support/staff.js';

const keys = reportKeys(TEST_SECRET);
const rules = { calendar, deadlines: campaign.deadlines, leadership: campaign.leadership };
const schema = makeReportInputSchema(() => campaign.villages.map((v) => v.id));
const fileKey = randomBytes(32);

const audit = async (ta: TestApp) =>
  (await ta.database.db.selectFrom('audit_log').select(['action', 'actor_id', 'report_id', 'detail']).where('action', '<>', 'user.create').orderBy('id').execute()).map((a) => [a.action, a.actor_id, a.report_id, a.detail]);

t.test('openAttachment applies need-to-know and puts every opening, or attempt, on the record', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const bytes = Buffer.from('%PDF-1.7 stand-in');
  const file = { name: 'scan.pdf', mime: 'application/pdf' as const, bytes, sha256: createHash('sha256').update(bytes).digest() };
  const { id } = await submitReport(db, keys, rules, schema.parse(VALID_REPORT), {}, { key: fileKey, files: [file] });
  const attachmentId = (await db.selectFrom('attachments').select('id').executeTakeFirstOrThrow()).id;
  const admin = { userId: (await addStaff(ta, 'admin1', 'admin')).id, role: 'admin' as const };
  const inv = { userId: (await addStaff(ta, 'inv1', 'investigator')).id, role: 'investigator' as const };

  t.equal(await openAttachment(db, fileKey, inv, id, attachmentId, { preview: false }), null, 'not assigned: as if missing');
  t.equal(await openAttachment(db, fileKey, admin, id, '999999', { preview: false }), null, 'missing');
  t.same(await audit(ta), [['attachment.denied', inv.userId, id, { attachmentId }]], 'the refusal is recorded, a missing file is not');

  await db.updateTable('reports').set({ assignee_id: inv.userId }).where('id', '=', id).execute();
  const opened = await openAttachment(db, fileKey, inv, id, attachmentId, { preview: true });
  t.same(opened?.bytes, bytes);
  t.equal(opened?.mime, 'application/pdf');
  t.same((await audit(ta)).at(-1), ['attachment.download', inv.userId, id, { attachmentId, preview: true }]);

  // A file that does not open (here: the wrong key) was not downloaded: no row says it was.
  const before = (await audit(ta)).length;
  await t.rejects(openAttachment(db, randomBytes(32), admin, id, attachmentId, { preview: false }));
  t.equal((await audit(ta)).length, before);
});

t.test('viewLead records each opening of a lead that exists', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const { id } = await submitReport(db, keys, rules, schema.parse(VALID_REPORT), {});
  const viewer = { userId: (await addStaff(ta, 'viewer1', 'viewer')).id, role: 'viewer' as const };
  t.equal((await viewLead(db, viewer, id))?.id, id);
  t.equal(await viewLead(db, viewer, '999999'), undefined);
  t.same(await audit(ta), [['lead.view', viewer.userId, id, {}]]);
});
