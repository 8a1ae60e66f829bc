import t, { type Test } from 'tap';
import { testApp, type TestApp } from '../../support/app.js';
import { seedLeads, times, villageCells, totalReceived, LAST_MONTH } from '../../support/results.js';
import { signIn } from '../../support/staff.js';

// Issue 15: with 7 leads the dashboard's category × village table added up to 3 (leads whose
// village is "other" fell in no column) while the other charts showed 7. Every table and chart on
// the dashboard, the statistics page and the public results adds up to the same total.

const FEW = '少于3件';
const WITHHELD = '不公布';

/** The part of the page from the heading with this id to the end of its section. */
function section(html: string, id: string): string {
  const start = html.indexOf(`aria-labelledby="${id}"`);
  if (start < 0) throw new Error(`no section ${id}`);
  return html.slice(start, html.indexOf('</section>', start));
}
const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
const chartNumbers = (part: string) => [...part.matchAll(/class="chart-number">(\d+)<\/text>/g)].map((m) => Number(m[1]));
const cellNumbers = (row: string) => [...row.matchAll(/<td class="number">(?:<a href="[^"]*">)?(\d+)/g)].map((m) => Number(m[1]));

async function seed(ta: TestApp) {
  const old = new Date(Date.now() - 400 * 86_400_000);
  const [first, dup] = await seedLeads(ta, [
    { village: 'gulu', category: 'funds' },
    { village: 'gulu', category: 'funds' },
  ]);
  await ta.database.db.updateTable('reports').set({ status: 'merged', merged_into_id: first! }).where('id', '=', dup!).execute();
  await seedLeads(ta, [
    { village: 'other', category: 'integrity' },
    { village: 'other', category: 'policy', status: 'verifying' },
    { village: null, category: 'duty' },
    // A village since removed from the campaign file, and a lead older than the last twelve months.
    { village: 'shutdown-village', category: 'funds', status: 'concluded', outcome: 'substantiated' },
    { village: 'caoping', category: 'integrity', receivedAt: old },
    { village: 'other', category: 'duty', status: 'concluded', outcome: 'unsubstantiated' },
  ]);
}

function checkDashboard(t: Test, html: string, expected: number) {
  const total = Number(/id="leads-total">(\d+)</.exec(html)?.[1]);
  t.equal(total, expected, `the dashboard's total: ${total}`);
  const matrix = section(html, 'd-matrix');
  const rows = [...matrix.matchAll(/<tr><th scope="row">[^<]*<\/th>(.*?)<\/tr>/g)].map((m) => cellNumbers(m[1]!));
  const body = rows.slice(0, -1);
  const foot = rows.at(-1)!;
  t.equal(body.length, 4, 'one row per category');
  for (const cells of body) t.equal(sum(cells.slice(0, -1)), cells.at(-1), 'each category row adds up to its total');
  t.equal(sum(body.map((cells) => cells.at(-1)!)), total, 'the category totals add up to the total');
  foot.slice(0, -1).forEach((n, i) => t.equal(n, sum(body.map((cells) => cells[i]!)), `column ${i}: the footer is the column's sum`));
  t.equal(foot.at(-1), total, 'the grand total');
  t.match(matrix, '>shutdown-village</th>', 'a village no longer listed has its own column');
  for (const chart of ['d-status', 'd-channel', 'd-month']) t.equal(sum(chartNumbers(section(html, chart))), total, `${chart} adds up to the total`);
}

function checkStatistics(t: Test, html: string, expected: number) {
  const total = Number(/共收到 (\d+) 件举报/.exec(html)?.[1]);
  t.equal(total, expected, `the statistics' total: ${total}`);
  for (const id of ['st-status', 'st-outcome', 'st-category', 'st-village', 'st-channel', 'st-month']) {
    t.equal(sum(cellNumbers(section(html, id))), total, `${id} adds up to the total`);
  }
}

t.test('dashboard and statistics: every table and chart adds up to the same total', async (t) => {
  const ta = await testApp(t);
  await seed(ta);
  const viewer = await signIn(ta, 'viewer');
  const dashboard = await viewer.get('/staff/dashboard');
  t.equal(dashboard.statusCode, 200);
  checkDashboard(t, dashboard.body, 7);
  t.match(dashboard.body, /<a href="\/staff\/leads\?status&#x3D;merged">1<\/a>/, 'the merged duplicate is shown apart');
  const statistics = await viewer.get('/staff/statistics');
  t.equal(statistics.statusCode, 200);
  checkStatistics(t, statistics.body, 8);
});

/** The public category table: each measure's column adds up to the footer. */
function checkCategoryTable(t: Test, html: string) {
  const rows = [...html.matchAll(/<tr><th scope="row">[^<]*<\/th>((?:<td[^>]*>\d+<\/td>){4})<\/tr>/g)].map((m) => [...m[1]!.matchAll(/>(\d+)</g)].map((x) => Number(x[1])));
  const foot = rows.at(-1)!;
  const body = rows.slice(0, -1);
  t.equal(body.length, 4);
  foot.forEach((n, i) => t.equal(sum(body.map((r) => r[i]!)), n, `measure ${i}: the categories add up to the total`));
}

t.test('public results: the tables add up to the total; suppressed cells are labelled', async (t) => {
  const ta = await testApp(t);
  // Every village with 3 or more: nothing suppressed, so the village table must add up exactly.
  await seedLeads(ta, [
    ...['gulu', 'caoping', 'wuniu', 'xindian', 'yinhua', 'changshou'].flatMap((village) => times(3, { village, receivedAt: LAST_MONTH })),
    ...times(2, { village: 'other' }),
    { village: null },
    { village: 'shutdown-village', status: 'concluded', outcome: 'partly' },
  ]);
  const html = (await ta.app.inject('/results')).body;
  checkCategoryTable(t, html);
  const total = totalReceived(html);
  t.equal(total, 22);
  const cells = [...villageCells(html).values()];
  t.ok(cells.every((c) => /^\d+$/.test(c)), 'nothing needed suppressing');
  t.equal(sum(cells.map(Number)), total, 'the village table adds up to the total ("other", none given and unlisted together)');

  // Small counts: suppressed cells say so, and what is shown never exceeds the total.
  const small = await testApp(t);
  await seedLeads(small, [...times(5, { village: 'gulu' }), { village: 'caoping' }, ...times(4, { village: 'other' })]);
  const page = (await small.app.inject('/results')).body;
  checkCategoryTable(t, page);
  const shown = [...villageCells(page).values()];
  t.ok(shown.some((c) => c === FEW || c === WITHHELD), 'small counts stay suppressed');
  t.ok(shown.every((c) => /^\d+$/.test(c) || c === FEW || c === WITHHELD), 'every suppressed cell is labelled');
  t.ok(sum(shown.filter((c) => /^\d+$/.test(c)).map(Number)) <= totalReceived(page), 'the shown cells do not exceed the total');
});
