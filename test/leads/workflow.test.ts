import t from 'tap';
import type { ReportStatus } from '../../src/db/schema.js';
import { isOpen, TRANSITIONS, transitionProblem } from '../../src/leads/workflow.js';

const ALL: ReportStatus[] = ['received', 'verifying', 'investigating', 'concluded', 'not_accepted', 'transferred', 'merged'];
const complete = { publicUpdate: '经核查，问题属实，已责令退还。', outcome: 'substantiated' as const, reason: '不属于受理范围', transferredTo: '区纪委' };

t.test('exactly the documented transitions are allowed', async (t) => {
  const allowed = new Set([
    'received>verifying', 'received>not_accepted', 'received>transferred',
    'verifying>investigating', 'verifying>not_accepted', 'verifying>transferred',
    'investigating>concluded',
  ]);
  for (const from of ALL) {
    for (const to of ALL) {
      const problem = transitionProblem(from, { to, ...complete });
      t.equal(problem === null, allowed.has(`${from}>${to}`), `${from} → ${to}`);
    }
  }
});

t.test('each transition asks for what it needs', async (t) => {
  t.same(transitionProblem('received', { to: 'not_accepted' }), { field: 'reason', key: 'errors.workflow.reasonRequired' });
  t.same(transitionProblem('verifying', { to: 'transferred' }), { field: 'transferredTo', key: 'errors.workflow.recipientRequired' });
  t.same(transitionProblem('investigating', { to: 'concluded', publicUpdate: 'x' }), { field: 'outcome', key: 'errors.workflow.outcomeRequired' });
  t.same(transitionProblem('investigating', { to: 'concluded', outcome: 'partly' }), {
    field: 'publicUpdate',
    key: 'errors.workflow.publicUpdateRequired',
  });
  t.equal(transitionProblem('received', { to: 'verifying' }), null, 'accepting needs nothing more');
});

t.test('closed statuses have no way out', async (t) => {
  for (const s of ['concluded', 'not_accepted', 'transferred', 'merged'] as const) {
    t.equal(isOpen(s), false);
    t.same(TRANSITIONS[s], []);
  }
  t.equal(isOpen('received'), true);
});
