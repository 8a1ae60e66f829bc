import t from 'tap';
import type { StaffRole } from '../../../src/db/schema.js';
import { testApp, VALID_REPORT } from '../../support/app.js';
import { signIn, STAFF_PASSWORD, type StaffAgent } from '../../support/staff.js';

// The whole role × action matrix, checked on the server. Each action is sent with input that
// would not change anything even if allowed (a stale version, a missing field), so the only
// question is whether the role gets past the door: 403, or anything else.

type Action = { name: string; run: (a: StaffAgent, id: string) => ReturnType<StaffAgent['get']>; allowed: StaffRole[] };

const ACTIONS: Action[] = [
  { name: 'read the queue', run: (a) => a.get('/staff/leads'), allowed: ['admin', 'investigator', 'viewer'] },
  { name: 'read the statistics', run: (a) => a.get('/staff/statistics'), allowed: ['admin', 'investigator', 'viewer'] },
  { name: 'read the dashboard', run: (a) => a.get('/staff/dashboard'), allowed: ['admin', 'investigator', 'viewer'] },
  { name: 'read the problem lists', run: (a) => a.get('/staff/problems'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'open a problem-list row', run: (a) => a.get('/staff/problems/999999'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'open the problem-row form', run: (a) => a.get('/staff/problems/new'), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'enter a problem-list row', run: (a) => a.post('/staff/problems', { village: '' }), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'record rectification progress', run: (a) => a.post('/staff/problems/999999/progress', { progress: '' }), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'make a problem-list row from a lead', run: (a, id) => a.post(`/staff/leads/${id}/problem`, { village: '' }), allowed: ['admin', 'investigator'] },
  { name: 'read the monthly filings', run: (a) => a.get('/staff/problems/filings'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'open the filing form', run: (a) => a.get('/staff/problems/filings/new'), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'file a monthly list', run: (a) => a.post('/staff/problems/filings', { village: '' }), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'print a problem list', run: (a) => a.get('/staff/problems/print?village=gulu'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'export a problem list (XLSX)', run: (a) => a.get('/staff/problems/export.xlsx?village=gulu'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'export a problem list (CSV)', run: (a) => a.get('/staff/problems/export.csv?village=gulu'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'read the look-back draws', run: (a) => a.get('/staff/lookback'), allowed: ['admin', 'investigator'] },
  { name: 'draw a look-back sample', run: (a) => a.post('/staff/lookback', { assignee: 'bad' }), allowed: ['admin', 'investigator'] },
  { name: 'open a look-back draw', run: (a) => a.get('/staff/lookback/999999'), allowed: ['admin', 'investigator'] },
  { name: 'assign a look-back draw', run: (a) => a.post('/staff/lookback/999999/assign', { assignee: 'none' }), allowed: ['admin', 'investigator'] },
  { name: 'record a look-back finding', run: (a) => a.post('/staff/lookback/items/999999/finding', { finding: 'held' }), allowed: ['admin', 'investigator'] },
  { name: 'open a lead', run: (a, id) => a.get(`/staff/leads/${id}`), allowed: ['admin', 'investigator', 'viewer'] },
  { name: 'change status', run: (a, id) => a.post(`/staff/leads/${id}/status`, { version: '999', to: 'verifying' }), allowed: ['admin', 'investigator'] },
  { name: 'assign', run: (a, id) => a.post(`/staff/leads/${id}/assign`, { version: '999', assignee: 'none' }), allowed: ['admin', 'investigator'] },
  { name: 'set priority', run: (a, id) => a.post(`/staff/leads/${id}/priority`, { version: '999', priority: '1' }), allowed: ['admin', 'investigator'] },
  { name: 'add a note', run: (a, id) => a.post(`/staff/leads/${id}/note`, { note: '' }), allowed: ['admin', 'investigator'] },
  { name: 'merge', run: (a, id) => a.post(`/staff/leads/${id}/merge`, { version: '999', into: id }), allowed: ['admin', 'investigator'] },
  { name: 'verify identity', run: (a, id) => a.post(`/staff/leads/${id}/verify`, { version: '999', how: 'phone' }), allowed: ['admin', 'investigator'] },
  { name: 'record feedback', run: (a, id) => a.post(`/staff/leads/${id}/feedback`, { version: '999' }), allowed: ['admin', 'investigator'] },
  { name: 'ask the reporter', run: (a, id) => a.post(`/staff/leads/${id}/question`, { version: '999', question: '' }), allowed: ['admin', 'investigator'] },
  { name: 'mark messages handled', run: (a, id) => a.post(`/staff/leads/${id}/handled`, { version: '999' }), allowed: ['admin', 'investigator'] },
  // Reveal: the admin, or the investigator the lead is assigned to (here: nobody).
  { name: 'reveal identity', run: (a, id) => a.post(`/staff/leads/${id}/reveal`, { reason: '' }), allowed: ['admin'] },
  { name: 'open the intake form', run: (a) => a.get('/staff/intake'), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'record a lead', run: (a) => a.post('/staff/intake', { channel: 'letter' }), allowed: ['admin', 'investigator', 'clerk'] },
  { name: 'list accounts', run: (a) => a.get('/staff/users'), allowed: ['admin'] },
  { name: 'create an account', run: (a) => a.post('/staff/users', { username: 'x', role: 'viewer', password: STAFF_PASSWORD }), allowed: ['admin'] },
  { name: 'disable an account', run: (a) => a.post('/staff/users/999999/disable'), allowed: ['admin'] },
  { name: 'reset an account\'s 2FA', run: (a) => a.post('/staff/users/999999/2fa/reset'), allowed: ['admin'] },
  { name: 'change the 2FA policy', run: (a) => a.post('/staff/settings/2fa', { required: 'maybe' }), allowed: ['admin'] },
  { name: 'set up their own 2FA', run: (a) => a.get('/staff/2fa'), allowed: ['admin', 'investigator', 'clerk', 'viewer'] },
  { name: 'browse the audit log', run: (a) => a.get('/staff/audit'), allowed: ['admin'] },
  { name: 'open the campaign settings', run: (a) => a.get('/staff/campaign'), allowed: ['admin'] },
  { name: 'change a campaign setting', run: (a) => a.post('/staff/campaign/deadlines', { 'deadlines.acceptWorkingDays': 'x' }), allowed: ['admin'] },
  { name: 'reset a campaign setting', run: (a) => a.post('/staff/campaign/no-such-field/reset'), allowed: ['admin'] },
  { name: 'reset every campaign setting', run: (a) => a.post('/staff/campaign/reset'), allowed: ['admin'] },
  { name: 'list typical cases', run: (a) => a.get('/staff/cases'), allowed: ['admin', 'investigator'] },
  { name: 'write a typical case', run: (a) => a.post('/staff/cases', { reportId: '' }), allowed: ['admin', 'investigator'] },
  { name: 'open a typical case', run: (a) => a.get('/staff/cases/999999'), allowed: ['admin', 'investigator'] },
  { name: 'edit a typical case', run: (a) => a.post('/staff/cases/999999', { reportId: '' }), allowed: ['admin', 'investigator'] },
  { name: 'approve a typical case', run: (a) => a.post('/staff/cases/999999/approve'), allowed: ['admin', 'investigator'] },
  { name: 'withdraw a typical case', run: (a) => a.post('/staff/cases/999999/unpublish'), allowed: ['admin', 'investigator'] },
];

t.test('role × action', async (t) => {
  const ta = await testApp(t);
  await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, realName: { name: '李四', phone: '13900139000' } } });
  const { id } = await ta.database.db.selectFrom('reports').select('id').executeTakeFirstOrThrow();
  for (const role of ['admin', 'investigator', 'clerk', 'viewer'] as const) {
    const agent = await signIn(ta, role);
    for (const action of ACTIONS) {
      const res = await action.run(agent, id);
      t.not(res.statusCode === 303 && String(res.headers.location).startsWith('/staff/login'), true, `${role}: still signed in`);
      const allowed = action.allowed.includes(role);
      t.equal(res.statusCode === 403, !allowed, `${role} ${allowed ? 'may' : 'may not'} ${action.name} (${res.statusCode})`);
    }
  }
  const lead = await ta.database.db.selectFrom('reports').select(['status', 'version', 'priority']).executeTakeFirstOrThrow();
  t.same(lead, { status: 'received', version: 1, priority: 2 }, 'nothing changed');
});
