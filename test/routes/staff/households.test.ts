import t from 'tap';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { checkCharacter } from '../../../src/households/id-number.js';
import { makeHouseholdSchema } from '../../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys } from '../../../src/households/service.js';
import { campaign, testApp, TEST_SECRET } from '../../helpers.js';
import { checkMarkup } from '../../page-checks.js';
import { addStaff, signIn } from '../../staff-helpers.js';

// The register's pages: the list with its filters and per-village counts, a household with its
// flags in plain words, the ID number masked for everyone and shown in full only through the
// audited reveal, and clearing a flag with a note.

const zh = translator(loadCatalogs()['zh-CN']);
const schema = makeHouseholdSchema(() => campaign);
const id = (serial: number) => {
  const first17 = `500233${19600101 + serial}${String(serial).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
};
const ARCHIVE = Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, '有']));
const base = (serial: number, name: string, extra: Record<string, unknown> = {}) => ({
  village: '古路村', headName: name, idNumber: id(serial), householdType: '低保户', dangerGrade: 'D', method: '拆除重建',
  programmeYear: '2020', approvedYuan: '30000', acceptedOn: '2020-10-01', postedVillageFrom: '2020-03-01', postedVillageTo: '2020-03-10',
  postedTownFrom: '2020-03-15', postedTownTo: '2020-03-25', archive: ARCHIVE,
  payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: name }],
  ...extra,
});

t.test('the register: masked for every role, flags in plain words, the reveal and the clearing on the record', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  const rows = [
    base(1, '王大山'),
    base(2, '<script>alert(1)</script>李', { payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: '张三' }] }),
  ];
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, rows.map((r) => schema.parse({ ...r, village: 'gulu' })));
  const [clean, proxy] = await ta.database.db.selectFrom('households').select(['id', 'head_name']).orderBy('id').execute();

  const agents = { admin: await signIn(ta, 'admin'), investigator: await signIn(ta, 'investigator'), clerk: await signIn(ta, 'clerk'), viewer: await signIn(ta, 'viewer') };
  for (const [role, agent] of Object.entries(agents)) {
    const list = await agent.get('/staff/households');
    t.equal(list.statusCode, 200, `${role}: the list`);
    checkMarkup(t, `${role}: list`, list.body);
    t.notMatch(list.body, id(1), `${role}: no full ID number in the list`);
    t.match(list.body, `500***********${id(1).slice(-4)}`, `${role}: masked`);
    t.notMatch(list.body, '<script>alert(1)', `${role}: names escaped`);
    const page = await agent.get(`/staff/households/${proxy!.id}`);
    t.equal(page.statusCode, 200);
    checkMarkup(t, `${role}: household`, page.body);
    t.match(page.body, zh('households.flags.proxy_payee.reason', { payee: '张三' }), `${role}: the flag's reason in plain words`);
    t.notMatch(page.body, id(2), `${role}: no full ID number on the page`);
  }
  t.match((await agents.viewer.get('/staff/households?flag=proxy_payee')).body, `href="/staff/households/${proxy!.id}"`, 'the flag filter finds it');
  t.notMatch((await agents.viewer.get('/staff/households?flag=proxy_payee')).body, `href="/staff/households/${clean!.id}"`, 'and only it');
  t.notMatch((await agents.viewer.get('/staff/households?village=caoping')).body, `href="/staff/households/${clean!.id}"`, 'the village filter');

  for (const role of ['clerk', 'viewer'] as const) {
    t.equal((await agents[role].post(`/staff/households/${proxy!.id}/reveal`, { reason: '核对身份信息' })).statusCode, 403, `${role}: no reveal`);
    t.equal((await agents[role].post(`/staff/households/${proxy!.id}/flags/1/clear`, { note: '已核实情况' })).statusCode, 403, `${role}: no clearing`);
  }
  const noReason = await agents.investigator.post(`/staff/households/${proxy!.id}/reveal`, { reason: '' });
  t.equal(noReason.statusCode, 400, 'a reveal needs a reason');
  t.notMatch(noReason.body, id(2));
  const revealed = await agents.investigator.post(`/staff/households/${proxy!.id}/reveal`, { reason: '核对是否重复领取' });
  t.equal(revealed.statusCode, 200);
  t.match(revealed.body, `<strong id="id-revealed">${id(2)}</strong>`, 'shown in full in this response');
  t.notMatch((await agents.investigator.get(`/staff/households/${proxy!.id}`)).body, id(2), 'and masked again after');
  const audit = await ta.database.db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'household.id.reveal').execute();
  t.same(audit, [{ actor_id: agents.investigator.userId, detail: { household: proxy!.id, reason: '核对是否重复领取' } }]);

  const [flag] = await ta.database.db.selectFrom('household_flags').select('id').where('household_id', '=', proxy!.id).execute();
  t.equal((await agents.investigator.post(`/staff/households/${proxy!.id}/flags/${flag!.id}/clear`, { note: '' })).statusCode, 400, 'clearing needs a note');
  const cleared = await agents.investigator.post(`/staff/households/${proxy!.id}/flags/${flag!.id}/clear`, { note: '户主书面委托张三代领，已补登代领原因' });
  t.equal(cleared.statusCode, 303);
  const after = await agents.viewer.get(`/staff/households/${proxy!.id}`);
  t.match(after.body, '户主书面委托张三代领，已补登代领原因', 'the note stays with the flag');
  t.equal((await agents.investigator.post(`/staff/households/${proxy!.id}/flags/${flag!.id}/clear`, { note: '再次销号试试' })).statusCode, 409, 'once only');
  t.equal((await agents.viewer.get('/staff/households/999999')).statusCode, 404);
});
