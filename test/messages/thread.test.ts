import t from 'tap';
import { threadEntries } from '../../src/messages/thread.js';

t.test('threadEntries: dates from Date or JSON text, an unanswered question awaits its answer', async (t) => {
  const at = '2026-03-02T08:00:00.000Z';
  t.same(
    threadEntries([
      { kind: 'question', body: '您还知道些什么？', created_at: at, answered_at: null },
      { kind: 'question', body: '是哪一天？', created_at: new Date(at), answered_at: at },
      { kind: 'answer', body: '三月一日。', created_at: at, answered_at: null },
    ]),
    [
      { kind: 'question', body: '您还知道些什么？', createdAt: new Date(at), awaitingAnswer: true },
      { kind: 'question', body: '是哪一天？', createdAt: new Date(at), awaitingAnswer: false },
      { kind: 'answer', body: '三月一日。', createdAt: new Date(at), awaitingAnswer: false },
    ],
  );
});
