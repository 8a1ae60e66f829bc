import t from 'tap';
import type { StaffRole } from '../../../src/db/schema.js';
import { LEAD_ACCESS, mayOnLead, PUBLIC, ROUTE_ACCESS, routeAccess } from '../../../src/staff/access.js';
import { multipart, photoWithGps, storedFiles } from '../../support/attachments.js';
import { testApp, tokenFrom, VALID_REPORT } from '../../support/app.js';
import { signIn, type StaffAgent } from '../../support/staff.js';

// The staff access matrix is data (src/staff/access.ts): this walks every staff route of the route
// table × every role against it, then the need-to-know rules on a lead (identity, files) × role.

const ROLES: StaffRole[] = ['admin', 'investigator', 'clerk', 'viewer'];
const concrete = (url: string) => url.replace(/:[a-zA-Z]+/g, '999999');

t.test('the table lists every staff route, and nothing else', async (t) => {
  const ta = await testApp(t);
  const staffRoutes = ta.app.routeTable.filter((r) => r.url.startsWith('/staff') && r.method !== 'HEAD');
  t.ok(staffRoutes.length >= 60, `${staffRoutes.length} staff routes`);
  for (const r of staffRoutes) t.not(routeAccess(r.method, r.url), undefined, `${r.method} ${r.url} is in the table`);
  const registered = new Set(staffRoutes.map((r) => `${r.method} ${r.url.replace(/(.)\/$/, '$1')}`));
  t.same(Object.keys(ROUTE_ACCESS).filter((key) => !registered.has(key)), [], 'no entry without its route');
});

t.test('every staff route × every role: past the door exactly when the table says so', async (t) => {
  const ta = await testApp(t);
  const agents = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await signIn(ta, role)] as const))) as Record<StaffRole, StaffAgent>;
  // Logging out last, or the agent would lose its session halfway.
  const routes = Object.entries(ROUTE_ACCESS).sort(([a], [b]) => Number(a === 'POST /staff/logout') - Number(b === 'POST /staff/logout'));
  for (const [key, access] of routes) {
    const [method, url] = key.split(' ') as ['GET' | 'POST', string];
    if (access === PUBLIC) {
      const res = await ta.app.inject({ method, url: concrete(url) });
      t.not(res.statusCode, 403, `${key}: open without a session`);
      t.not(String(res.headers.location ?? ''), '/staff/login', `${key}: no redirect to the login`);
      continue;
    }
    const anonymous = await ta.app.inject({ method, url: concrete(url) });
    t.equal(anonymous.statusCode, 303, `${key} without a session: to the login`);
    for (const role of ROLES) {
      const agent = agents[role];
      const res = method === 'GET' ? await agent.get(concrete(url)) : await agent.post(concrete(url), {});
      if (access.includes(role)) t.not(res.statusCode, 403, `${key} × ${role}: allowed (${res.statusCode})`);
      else t.equal(res.statusCode, 403, `${key} × ${role}: refused`);
    }
  }
});

t.test('on a lead: identity and files are need-to-know, by LEAD_ACCESS × role × assignment', async (t) => {
  const ta = await testApp(t);
  const token = tokenFrom((await ta.app.inject('/report')).body);
  const body = multipart({ ...VALID_REPORT, token, identity: 'real', name: '王秀英', phone: '13912345678' }, [{ name: 'receipt.jpg', bytes: await photoWithGps() }]);
  t.equal((await ta.app.inject({ method: 'POST', url: '/report', headers: body.headers, payload: body.payload })).statusCode, 200);
  const [file] = await storedFiles(ta.database);
  const id = file!.report_id;
  const people: [string, StaffRole, StaffAgent][] = [
    ['admin', 'admin', await signIn(ta, 'admin')],
    ['assigned investigator', 'investigator', await signIn(ta, 'investigator')],
    ['another investigator', 'investigator', await signIn(ta, 'investigator', 'investigator2')],
    ['clerk', 'clerk', await signIn(ta, 'clerk')],
    ['viewer', 'viewer', await signIn(ta, 'viewer')],
  ];
  const assignee = people[1]![2].userId;
  await ta.database.db.updateTable('reports').set({ assignee_id: assignee }).where('id', '=', id).execute();
  for (const [who, role, agent] of people) {
    const staff = { role, userId: agent.userId };
    const canOpen = (ROUTE_ACCESS['GET /staff/leads/:id'] as readonly StaffRole[]).includes(role);
    const page = await agent.get(`/staff/leads/${id}`);
    t.equal(page.statusCode, canOpen ? 200 : 403, `${who}: opens the lead: ${canOpen}`);
    for (const what of Object.keys(LEAD_ACCESS) as (keyof typeof LEAD_ACCESS)[]) {
      const allowed = mayOnLead(what, staff, assignee);
      const res =
        what === 'identity'
          ? await agent.post(`/staff/leads/${id}/reveal`, { reason: '核实举报人身份，需电话联系' })
          : await agent.get(`/staff/leads/${id}/attachments/${file!.id}`);
      t.equal(res.statusCode < 400, allowed, `${who} × ${what}: ${allowed ? 'allowed' : 'refused'} (${res.statusCode})`);
      if (what === 'identity') t.equal(res.body.includes('13912345678'), allowed, `${who}: the phone number shown only when allowed`);
    }
  }
  t.same(
    people.filter(([, role, a]) => mayOnLead('identity', { role, userId: a.userId }, assignee)).map(([who]) => who),
    ['admin', 'assigned investigator'],
    'the decision: admins and the assigned investigator only',
  );
});

t.test('the re-check matrix as decided: admins draw, data-entry roles record, everyone reads and exports', async (t) => {
  const roles = (key: string) => [...(ROUTE_ACCESS[key] as readonly StaffRole[])].sort();
  t.same(roles('GET /staff/rechecks/new'), ['admin']);
  t.same(roles('POST /staff/rechecks'), ['admin']);
  t.same(roles('POST /staff/rechecks/items/:id'), ['admin', 'clerk', 'investigator']);
  for (const key of ['GET /staff/rechecks', 'GET /staff/rechecks/:id', 'GET /staff/rechecks/:id/sheet', 'GET /staff/rechecks/:id/export.xlsx']) {
    t.same(roles(key), ['admin', 'clerk', 'investigator', 'viewer'], key);
  }
});

t.test('the decisions on the register’s exports: masked for every role, full ID numbers for admins only', async (t) => {
  t.same(ROUTE_ACCESS['GET /staff/households/export.csv'], ROLES);
  t.same(ROUTE_ACCESS['GET /staff/households/export.xlsx'], ROLES);
  t.same(ROUTE_ACCESS['POST /staff/households/export/unmasked'], ['admin']);
});
