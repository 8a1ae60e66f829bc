import t from 'tap';
import { testApp } from '../../support/app.js';
import { addLead, addRow } from '../../support/problems.js';
import { signIn, type StaffAgent } from '../../support/staff.js';

const decode = (href: string) => href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

/** Every linked figure on the page: [href, number]. */
function figures(html: string): [string, number][] {
  const main = html.slice(html.indexOf('<main'));
  return [...main.matchAll(/<a href="([^"]+)">(?:<text[^>]*>)?(?:[^<\d]*?\s)?(\d+)(?:<\/text>)?<\/a>/g)].map((m) => [decode(m[1]!), Number(m[2])]);
}

const distinct = async (agent: StaffAgent, href: string, pattern: RegExp) =>
  new Set([...(await agent.get(href)).body.matchAll(pattern)].map((m) => m[1])).size;

t.test('every figure on the dashboard is a link showing exactly that many items', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  const first = await addLead(ta, { category: 'funds', village: 'gulu' });
  const dup = await addLead(ta, { category: 'funds', village: 'gulu' });
  await db.updateTable('reports').set({ status: 'merged', merged_into_id: first }).where('id', '=', dup).execute();
  await addLead(ta, { category: 'integrity', village: 'caoping', channel: 'hotline', due_on: '2020-01-02' });
  await addLead(ta, { category: 'integrity', village: null, channel: 'letter' });
  await addLead(ta, { category: 'duty', village: 'other', channel: 'visit', received_at: new Date(Date.now() - 40 * 86_400_000) });
  const inv = await signIn(ta, 'investigator');
  await addRow(ta, inv.userId, { village: 'gulu', deadline: '2020-01-01' });
  await addRow(ta, inv.userId, { village: 'gulu', category: 'duty' });
  const done = await addRow(ta, inv.userId, { village: 'caoping', problem: '<script>alert(1)</script>' });
  t.equal((await inv.post(`/staff/problems/${done}/progress`, { progress: 'done', note: '完成' })).statusCode, 303);

  const viewer = await signIn(ta, 'viewer');
  const res = await viewer.get('/staff/dashboard');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<svg class="chart"', 'server-rendered SVG charts');
  t.notMatch(res.body, /<script>(?!<\/script>)/, 'no inline script');
  t.notMatch(res.body, /\sstyle="/, 'no inline style (the CSP forbids it)');
  const all = figures(res.body);
  const leadFigures = all.filter(([href]) => href.startsWith('/staff/leads?'));
  const rowFigures = all.filter(([href]) => href.startsWith('/staff/problems?'));
  t.ok(leadFigures.length > 40, `${leadFigures.length} lead figures found`);
  t.ok(rowFigures.length >= 12, `${rowFigures.length} problem-list figures found`);

  const at = (href: string) => all.find(([h]) => h === href)?.[1];
  t.equal(at('/staff/leads?category=funds&village=gulu'), 1, 'the merged duplicate is not counted twice, as in the queue');
  t.equal(at('/staff/leads?category=funds'), 1);
  t.equal(at('/staff/leads?category=integrity'), 2, 'a lead without a village still counts in its category');
  t.equal(at('/staff/leads?status=merged'), 1, 'by status the merged one shows under its own status, as in the queue');
  t.equal(at('/staff/leads?status=received'), 4);
  t.equal(at('/staff/leads?overdue=1'), 1);
  t.equal(at('/staff/leads?channel=hotline'), 1);
  t.equal(at('/staff/problems?overdue=1'), 1);
  t.equal(at('/staff/problems?village=gulu&progress=not_started'), 2);
  t.equal(at('/staff/problems?village=caoping&progress=done'), 1);

  for (const [href, n] of leadFigures) t.equal(await distinct(viewer, href, /href="\/staff\/leads\/(\d+)"/g), n, `${href}: ${n}`);
  for (const [href, n] of rowFigures) t.equal(await distinct(viewer, href, /href="\/staff\/problems\/(\d+)"/g), n, `${href}: ${n}`);
});
