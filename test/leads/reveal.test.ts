import t from 'tap';
import { revealIdentity } from '../../src/leads/service.js';
import { makeReportInputSchema } from '../../src/reports/schema.js';
import { reportKeys } from '../../src/reports/service.js';
import { submitReport } from '../../src/reports/submit.js';
import { calendar, campaign, TEST_SECRET, testApp, VALID_REPORT, type TestApp } from '../support/app.js';
import { addStaff } from '../support/staff.js';

const keys = reportKeys(TEST_SECRET);
const rules = { calendar, deadlines: campaign.deadlines, leadership: campaign.leadership };
const schema = makeReportInputSchema(() => campaign.villages.map((v) => v.id));
const REAL = { realName: { name: '王秀英', phone: '138 0013 8000' } };

const actions = async (ta: TestApp, id: string) =>
  (await ta.database.db.selectFrom('audit_log').select('action').where('report_id', '=', id).orderBy('id').execute()).map((a) => a.action);

t.test('revealIdentity applies the need-to-know rule and writes its audit row with the reveal', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const { id } = await submitReport(db, keys, rules, schema.parse({ ...VALID_REPORT, ...REAL }), {});
  const admin = await addStaff(ta, 'admin1', 'admin');
  const viewer = await addStaff(ta, 'viewer1', 'viewer');
  const asAdmin = { userId: admin.id, role: 'admin' as const };

  t.same(await revealIdentity(db, keys.identity, { userId: viewer.id, role: 'viewer' }, id, undefined), { ok: false, problem: 'denied' });
  t.same(await actions(ta, id), ['identity.reveal.denied'], 'a refusal is on the record even when the form gave no reason');
  t.same(await revealIdentity(db, keys.identity, asAdmin, id, undefined), { ok: false, problem: 'noReason' });
  t.same(await revealIdentity(db, keys.identity, asAdmin, '999999', '需要电话核实身份'), { ok: false, problem: 'notFound' });
  t.same(await actions(ta, id), ['identity.reveal.denied'], 'nothing is recorded for a reveal without a reason');

  // An identity that cannot be opened (here: the wrong key) is no reveal: its audit row goes too.
  await t.rejects(revealIdentity(db, Buffer.alloc(32, 7), asAdmin, id, '需要电话核实身份'));
  t.same(await actions(ta, id), ['identity.reveal.denied']);

  t.same(await revealIdentity(db, keys.identity, asAdmin, id, '需要电话核实身份'), { ok: true, identity: { name: '王秀英', phone: '13800138000' } });
  t.same(await actions(ta, id), ['identity.reveal.denied', 'identity.reveal']);

  const anonymous = await submitReport(db, keys, rules, schema.parse(VALID_REPORT), {});
  t.same(await revealIdentity(db, keys.identity, asAdmin, anonymous.id, '需要电话核实身份'), { ok: false, problem: 'noIdentity' });
  t.same(await actions(ta, anonymous.id), []);
});
