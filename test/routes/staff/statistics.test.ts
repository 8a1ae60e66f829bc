import t from 'tap';
import { testApp, VALID_REPORT, type TestApp } from '../../support/app.js';
import { signIn } from '../../support/staff.js';

async function report(ta: TestApp, fields: Record<string, unknown>) {
  await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, ...fields } });
  return (await ta.database.db.selectFrom('reports').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id;
}

/** The figure in the row whose header is `label`, in the section headed `section`. */
function figure(html: string, section: string, label: string): { n: number; href: string | null } {
  const part = html.slice(html.indexOf(`>${section}</h2>`));
  const table = part.slice(0, part.indexOf('</section>'));
  const m = new RegExp(`<th scope="row">${label}</th><td class="number">(?:<a href="([^"]+)">)?(\\d+)`).exec(table);
  if (!m) throw new Error(`no row ${label} under ${section}`);
  return { n: Number(m[2]), href: m[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&') ?? null };
}

t.test('statistics count every report, duplicates too, and each figure opens the matching leads', async (t) => {
  const ta = await testApp(t);
  const first = await report(ta, { category: 'funds', village: 'gulu' });
  const dup = await report(ta, { category: 'funds', village: 'gulu' });
  await report(ta, { category: 'integrity', village: 'caoping' });
  await report(ta, { category: 'integrity', village: undefined });
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.post(`/staff/leads/${dup}/merge`, { version: '1', into: first })).statusCode, 303);

  const viewer = await signIn(ta, 'viewer');
  const res = await viewer.get('/staff/statistics');
  t.equal(res.statusCode, 200);
  const html = res.body;
  t.match(html, '共收到 4 件举报');
  t.same(figure(html, '按问题类别', '资金管理不规范').n, 2, 'the merged duplicate still counts');
  t.same(figure(html, '按办理状态', '已合并处理').n, 1);
  t.same(figure(html, '按办理状态', '已收到，等待受理').n, 3);
  t.same(figure(html, '按村', '未填村名'), { n: 1, href: null }, 'no queue link for reports without a village');
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date());
  t.equal(figure(html, '按收到月份（近12个月）', month).n, 4);

  // Each link opens the matching leads: by status exactly as many as counted; elsewhere the queue
  // shows the merged duplicate through the lead it joined, so one fewer where it is counted.
  const leadsAt = async (href: string) => new Set([...(await viewer.get(href)).body.matchAll(/href="\/staff\/leads\/(\d+)"/g)].map((m) => m[1])).size;
  for (const [section, label, merged] of [
    ['按办理状态', '已收到，等待受理', 0],
    ['按办理状态', '已合并处理', 0],
    ['按村', '古路村', 1],
    ['按来源渠道', '网上举报', 1],
    ['按收到月份（近12个月）', month, 1],
  ] as const) {
    const f = figure(html, section, label);
    t.equal(await leadsAt(f.href!), f.n - merged, `${section} / ${label}: ${f.n} reports`);
  }
  t.notMatch(html, '张三', 'no identity on the page');
});
