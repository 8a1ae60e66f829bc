import t from 'tap';
import type { FiledRow } from '../../src/db/schema.js';
import { diffLists, filingState, nextMonth, previousMonth } from '../../src/problems/filings.js';

t.test('a village is late after the 20th (today is passed in, not read from the clock)', async (t) => {
  t.equal(filingState('2023-07', null, '2023-07-19'), 'pending');
  t.equal(filingState('2023-07', null, '2023-07-20'), 'pending', 'the 20th itself is still on time');
  t.equal(filingState('2023-07', null, '2023-07-21'), 'missing', 'not filed after the 20th: late');
  t.equal(filingState('2023-07', '2023-07-18', '2023-08-01'), 'on_time');
  t.equal(filingState('2023-07', '2023-07-20', '2023-07-25'), 'on_time');
  t.equal(filingState('2023-07', '2023-07-21', '2023-07-25'), 'late', 'filed after the 20th: late');
  t.equal(previousMonth('2023-01'), '2022-12');
  t.equal(nextMonth('2023-12'), '2024-01');
});

t.test('what changed since last month', async (t) => {
  const row = (id: string, progress: FiledRow['progress']): FiledRow => ({ id, category: 'funds', problem: 'p', measures: 'm', progress, progressNote: null, deadline: '2023-10-20' });
  const before = [row('1', 'not_started'), row('2', 'in_progress'), row('3', 'in_progress')];
  const after = [row('1', 'in_progress'), row('2', 'done'), row('4', 'not_started')];
  t.same(diffLists(before, after), { added: 1, removed: 1, progressed: 2, completed: 1 });
  t.same(diffLists([], []), { added: 0, removed: 0, progressed: 0, completed: 0 });
});
