import t from 'tap';
import { checkCharacter, maskIdNumber, parseIdNumber } from '../../src/households/id-number.js';
import { findListItem, makeHouseholdSchema, parseDate, parseYesNo, parseYuan } from '../../src/households/schema.js';
import { campaign } from '../support/app.js';

// What a village's sheet or a staff member writes, and what the register keeps.

const first17 = '50023319600101001';
const ID = first17 + checkCharacter(first17);

t.test('ID numbers: GB 11643 check character, birth date, the ways people type them, the mask', async (t) => {
  t.same(parseIdNumber(ID), { ok: true, id: ID });
  const full = [...ID].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
  for (const typed of [` ${ID} `, full, `${ID.slice(0, 6)} ${ID.slice(6, 14)} ${ID.slice(14)}`, ID.replace(/X$/, 'x'), `${ID.slice(0, 9)}\u200b${ID.slice(9)}`]) {
    t.same(parseIdNumber(typed), { ok: true, id: ID }, JSON.stringify(typed));
  }
  const wrong = `${ID.slice(0, 17)}${ID[17] === '1' ? '2' : '1'}`;
  t.same(parseIdNumber(wrong), { ok: false, reason: 'checkDigit' });
  t.same(parseIdNumber('50023319600230001X'), { ok: false, reason: 'birthDate' }, '30 February');
  t.same(parseIdNumber('5002331960010100'), { ok: false, reason: 'format' });
  t.same(parseIdNumber('11010519491231002X'), { ok: true, id: '11010519491231002X' }, 'the standard’s own example, with X');
  t.equal(maskIdNumber(ID), `500${'*'.repeat(11)}${ID.slice(-4)}`);
});

t.test('dates, amounts, yes/no and list items as sheets write them', async (t) => {
  for (const [typed, iso] of <[string, string][]>[['2023-05-12', '2023-05-12'], ['2023/5/12', '2023-05-12'], ['2023.5.12', '2023-05-12'], ['2023年5月12日', '2023-05-12'], ['２０２３年５月１２日', '2023-05-12'], ['20230512', '2023-05-12']]) {
    t.equal(parseDate(typed), iso, typed);
  }
  for (const bad of ['2023-02-30', '2023-13-01', '1999-01-01', 'soon', '']) t.equal(parseDate(bad), null, `${bad || 'empty'}: refused`);
  for (const [typed, yuan] of <[string, string][]>[['35000', '35000.00'], ['35,000.00', '35000.00'], ['￥35000', '35000.00'], ['3.5万元', '35000.00'], ['3.5万', '35000.00'], ['35000元', '35000.00'], ['３５０００', '35000.00']]) {
    t.equal(parseYuan(typed), yuan, typed);
  }
  for (const bad of ['-500', 'abc', '3.5千', '1e9']) t.equal(parseYuan(bad), null, `${bad}: refused`);
  t.same(['有', '√', 'Y', '是'].map(parseYesNo), [true, true, true, true]);
  t.same(['无', '×', 'N', '否', ''].map(parseYesNo), [false, false, false, false, false]);
  t.equal(parseYesNo('也许'), null);
  const types = campaign.register.householdTypes;
  t.equal(findListItem(types, '建档立卡贫困户')?.key, 'registered_poor');
  t.equal(findListItem(types, ' 五保户 ')?.key, 'tekun', 'an alias');
  t.equal(findListItem(types, 'Minimum-living-allowance household')?.key, 'dibao', 'the English name');
  t.equal(findListItem(types, '富裕户'), undefined);
});

t.test('a record: every field normalized, every mistake a catalog key on its field', async (t) => {
  const schema = makeHouseholdSchema(() => campaign);
  const good = schema.safeParse({
    village: 'gulu', headName: '王大山', idNumber: ID, householdType: '低保户', dangerGrade: 'C级', method: '修缮加固',
    programmeYear: '2019年', approvedYuan: '1.2万元', archive: { application: '有', appraisal: '无' },
    payments: [{ paidOn: '2019年12月1日', amountYuan: '12000', payeeName: '王大山' }],
  });
  t.ok(good.success);
  t.match(good.data, {
    village: 'gulu', villageGroup: '', idNumber: ID, householdType: 'dibao', dangerGrade: 'C', method: 'repair', programmeYear: 2019,
    approvedYuan: '12000.00', acceptedOn: null, phone: null, proxyReason: null,
    archive: { application: true, appraisal: false, approval: false, acceptance: false, payment_voucher: false },
    payments: [{ paidOn: '2019-12-01', amountYuan: '12000.00', payeeName: '王大山', channel: '' }],
  });
  const bad = schema.safeParse({
    village: 'nowhere', headName: '', idNumber: `${ID.slice(0, 17)}${ID[17] === '1' ? '2' : '1'}`, householdType: '富裕户', dangerGrade: 'B',
    method: '翻新', programmeYear: '2015', approvedYuan: '-5', postedVillageFrom: '2019-03-10', postedVillageTo: '2019-03-01',
    archive: { application: '也许' }, payments: [{ paidOn: '2019-02-30', amountYuan: '0', payeeName: '' }],
  });
  t.notOk(bad.success);
  const byField = Object.fromEntries(bad.error!.issues.map((i) => [i.path.join('.'), i.message]));
  t.same(byField, {
    village: 'errors.households.village',
    headName: 'errors.required',
    idNumber: 'errors.households.id.checkDigit',
    householdType: 'errors.households.type',
    dangerGrade: 'errors.households.grade',
    method: 'errors.households.method',
    programmeYear: 'errors.households.year',
    approvedYuan: 'errors.households.amount',
    'archive.application': 'errors.households.yesNo',
    'payments.0.paidOn': 'errors.households.date',
    'payments.0.amountYuan': 'errors.households.amountRange',
    'payments.0.payeeName': 'errors.required',
  });
  const backwards = schema.safeParse({ ...good.data, postedVillageFrom: '2019-03-10', postedVillageTo: '2019-03-01' });
  t.match(backwards.error?.issues, [{ path: ['postedVillageTo'], message: 'errors.households.dateOrder' }], 'a posting that ends before it starts');
});
