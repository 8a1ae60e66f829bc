import t from 'tap';
import { cursorFields, cursorText, pageLimit, toPage } from '../../src/db/paging.js';
import { decodeCursor, encodeCursor } from '../../src/leads/repository.js';

t.test('toPage: one row more than a page says another follows, and where', async (t) => {
  t.equal(pageLimit(50), 51);
  t.same(toPage([1, 2, 3], 3, (n) => n), { rows: [1, 2, 3], next: null }, 'a last page');
  t.same(toPage([1, 2, 3, 4], 3, (n) => n * 10), { rows: [1, 2, 3], next: 30 }, 'the cursor is the last row shown');
});

t.test('cursor text: fields joined by ~, null as -', async (t) => {
  t.equal(cursorText([2, null, '17']), '2~-~17');
  t.same(cursorFields('2~-~17', 3), ['2', null, '17']);
  t.equal(cursorFields('2~17', 3), null, 'the wrong number of fields is no cursor');
});

t.test("the queue's cursor keeps its link format, and a damaged one means the first page", async (t) => {
  t.equal(encodeCursor({ attention: 1, dueOn: '2026-03-09', id: '42' }), '1~2026-03-09~42');
  t.equal(encodeCursor({ attention: 0, dueOn: null, id: '7' }), '0~-~7');
  t.same(decodeCursor('1~2026-03-09~42'), { attention: 1, dueOn: '2026-03-09', id: '42' });
  t.same(decodeCursor('0~-~7'), { attention: 0, dueOn: null, id: '7' });
  for (const bad of ['', '1~2026-03-09', 'x~-~7', '1~tomorrow~7', '1~-~seven', '1~-~7~8']) t.equal(decodeCursor(bad), null, JSON.stringify(bad));
});
