import t from 'tap';
import { FLAG_KINDS } from '../../../src/households/flags/kinds.js';
import { checkCharacter } from '../../../src/households/id-number.js';
import { makeHouseholdSchema } from '../../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys } from '../../../src/households/service.js';
import { campaign, testApp, TEST_SECRET } from '../../support/app.js';
import { checkMarkup } from '../../support/page-checks.js';
import { addStaff, signIn, type StaffAgent } from '../../support/staff.js';

// The register's overview: per village, every figure is a link to a list of exactly that many
// households (or problem rows); the totals row adds the villages up; the dashboard draws it; the
// town's self-check totals agree with it. Counts only: no name or ID number on these pages.

const schema = makeHouseholdSchema(() => campaign);
const id = (serial: number) => {
  const first17 = `500233${19600101 + serial}${String(serial).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
};
const ARCHIVE = Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, '有']));
const household = (serial: number, village: string, name: string, extra: Record<string, unknown> = {}) =>
  schema.parse({
    village, headName: name, idNumber: id(serial), householdType: '低保户', dangerGrade: 'D', method: '拆除重建',
    programmeYear: '2020', approvedYuan: '30000', acceptedOn: '2020-10-01', postedVillageFrom: '2020-03-01', postedVillageTo: '2020-03-10',
    postedTownFrom: '2020-03-15', postedTownTo: '2020-03-25', archive: ARCHIVE,
    payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: name }], ...extra,
  });

/** The households (or problem rows) a list page shows. */
async function listed(agent: StaffAgent, href: string): Promise<number> {
  const page = await agent.get(href);
  if (page.statusCode !== 200) throw new Error(`${href}: ${page.statusCode}`);
  const target = href.startsWith('/staff/problems') ? /href="\/staff\/problems\/\d+"/g : /href="\/staff\/households\/\d+"/g;
  return (page.body.match(target) ?? []).length;
}

/** Every linked number in the page's overview table: [href, n]. */
const linkedNumbers = (html: string) =>
  [...html.slice(html.indexOf('<table class="table matrix overview">'), html.indexOf('</table>')).matchAll(/<a href="([^"]+)">(\d+)<\/a>/g)].map((m) => [m[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'), Number(m[2])] as const);

t.test('the overview: each figure links to a list of that many, and the totals add up', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const clerk = await addStaff(ta, 'clerk0', 'clerk');
  await commitImport(db, householdKeys(TEST_SECRET), flagSettings(campaign), clerk.id, [
    household(1, 'gulu', '王大山'),
    household(2, 'gulu', '李小河', { payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: '张三' }] }),
    household(3, 'gulu', '赵田', { archive: { ...ARCHIVE, application: '无' }, payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: '钱七' }] }),
    household(4, 'caoping', '孙林'),
  ]);
  const ids = Object.fromEntries((await db.selectFrom('households').select(['id', 'head_name']).execute()).map((h) => [h.head_name, h.id]));
  // A re-check draw: 王大山 re-checked by phone and found to differ on the payee, 孙林 drawn, not yet visited;
  // the difference became a problem-list row, since done.
  const draw = await db
    .insertInto('recheck_draws')
    .values({ kind: 'recheck', seed: 'overview-test', rate_percent: 1, minimum_per_village: 1, candidate_count: 4, candidate_digest: 'x', drawn_by: clerk.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('recheck_items')
    .values([
      { draw_id: draw.id, household_id: ids['王大山']!, position: 1, method: 'phone', checked_on: '2023-07-01', checker_id: clerk.id, fields: JSON.stringify({ household_type: true, payee: false }), note: '户主说钱由村干部代领', recorded_at: new Date() },
      { draw_id: draw.id, household_id: ids['孙林']!, position: 2 },
    ])
    .execute();
  const row = await db
    .insertInto('problem_rows')
    .values({ village: 'gulu', category: 'integrity', problem: '代领补助', measures: '退回并公示', progress: 'done', done_at: new Date(), deadline: '2023-08-01', source: 'register', created_by: clerk.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('problem_row_households').values({ row_id: row.id, household_id: ids['王大山']! }).execute();
  await db.insertInto('problem_rows').values({ village: 'gulu', category: 'funds', problem: '自查', measures: '整改', deadline: '2023-08-01', source: 'self_check', created_by: clerk.id }).execute();

  const viewer = await signIn(ta, 'viewer');
  const page = await viewer.get('/staff/households/overview');
  t.equal(page.statusCode, 200);
  checkMarkup(t, 'overview', page.body);
  for (const name of Object.keys(ids)) t.notMatch(page.body, name, `no name on the overview (${name})`);
  const numbers = linkedNumbers(page.body);
  const PER_ROW = 8 + FLAG_KINDS.length;
  t.equal(numbers.length, (campaign.villages.length + 1) * PER_ROW, 'every figure of every village and of the totals is a link');
  for (const [href, n] of numbers) t.equal(await listed(viewer, href), n, `${href} lists ${n}`);

  const figures = (village: string) => Object.fromEntries(numbers.filter(([h]) => h.includes(`village=${village}&`) || h.endsWith(`village=${village}`)).map(([h, n]) => [h, n]));
  const gulu = figures('gulu');
  t.equal(gulu['/staff/households?village=gulu'], 3);
  t.equal(gulu['/staff/households?village=gulu&flag=any'], 2, 'two of three flagged');
  t.equal(gulu['/staff/households?village=gulu&flag=none'], 1);
  t.equal(gulu['/staff/households?village=gulu&recheck=rechecked'], 1);
  t.equal(gulu['/staff/households?village=gulu&recheck=mismatch'], 1);
  t.equal(gulu['/staff/problems?village=gulu&source=register'], 1, 'only the register\'s rows');
  t.equal(gulu['/staff/problems?village=gulu&source=register&progress=done'], 1);
  t.equal(figures('caoping')['/staff/households?village=caoping&recheck=drawn'], 1);
  t.equal(figures('caoping')['/staff/households?village=caoping&recheck=rechecked'], 0, 'drawn is not re-checked');
  // The totals row: each figure is the sum of the villages' same figure.
  const totals = numbers.filter(([h]) => !h.includes('village='));
  t.equal(totals.length, PER_ROW);
  for (const [href, n] of totals) {
    const sum = numbers.filter(([h]) => h.includes('village=') && h.replace(/village=[^&]+&?/, '').replace(/\?$/, '') === href).reduce((a, [, m]) => a + m, 0);
    t.equal(n, sum, `total ${href} adds up`);
  }
  t.match(page.body, /class="number short"/, 'a village below the re-check rate is marked');

  const dashboard = await viewer.get('/staff/dashboard');
  t.match(dashboard.body, 'href="/staff/households?village&#x3D;gulu&amp;flag&#x3D;any"', 'the dashboard draws the register and links its bars');
  t.match(dashboard.body, 'href="/staff/households?village&#x3D;gulu&amp;recheck&#x3D;rechecked"');

  const report = await (await signIn(ta, 'clerk')).get('/staff/households/report');
  t.equal(report.statusCode, 200, 'every role reads the town totals');
  checkMarkup(t, 'report', report.body);
  t.match(report.body, '台账共录入2017年以来农村危房整治对象户 4 户，涉及 2 个村', 'coverage');
  t.match(report.body, '核定补助资金合计 120000.00 元，已发放 120000.00 元');
  t.match(report.body, '已复核 1 户，占对象户的 25.0%');
  t.match(report.body, '复核发现与台账不一致的 1 户');
  t.match(report.body, '台账复核形成问题清单 1 条，已整改完成 1 条');
  t.match(report.body, /<th scope="row">电话调查<\/th><td class="number">1<\/td>/, 'by method');
  for (const name of Object.keys(ids)) t.notMatch(report.body, name, `no name in the report (${name})`);
  t.notMatch(report.body, id(1).slice(-4), 'no ID number');
});
