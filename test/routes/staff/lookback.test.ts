import t from 'tap';
import { listCandidates } from '../../../src/lookback/repository.js';
import { candidateDigest, drawSample } from '../../../src/lookback/sample.js';
import { testApp } from '../../support/app.js';
import { addLead, addRow, conclude } from '../../support/problems.js';
import { signIn } from '../../support/staff.js';

t.test('a draw is recorded with its seed and can be repeated; a relapse reopens the row and flags the lead', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator');
  const db = ta.database.db;
  const leads: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = await addLead(ta, { village: 'gulu' });
    await conclude(ta, id);
    leads.push(id);
  }
  await addLead(ta, { village: 'gulu' }); // still open: never a candidate
  const leadRow = await addRow(ta, inv.userId, { problem: '由线索发现的问题' });
  await db.insertInto('problem_row_leads').values({ row_id: leadRow, report_id: leads[0]! }).execute();
  const doneRow = await addRow(ta, inv.userId);
  t.equal((await inv.post(`/staff/problems/${doneRow}/progress`, { progress: 'done', note: '已整改完毕' })).statusCode, 303);

  const empty = await inv.get('/staff/lookback');
  t.equal(empty.statusCode, 200);
  t.match(empty.body, '1%');
  const drawn = await inv.post('/staff/lookback', { seed: 'public-lottery-0815', assignee: inv.userId });
  t.equal(drawn.statusCode, 303);
  const drawId = String(drawn.headers.location).split('/').pop()!;
  const draw = await db.selectFrom('lookback_draws').selectAll().where('id', '=', drawId).executeTakeFirstOrThrow();
  t.equal(draw.seed, 'public-lottery-0815');
  t.equal(draw.candidate_count, 6, 'five concluded leads and one finished row');
  t.equal(draw.assignee_id, inv.userId);
  const candidates = await listCandidates(db);
  t.equal(draw.candidate_digest, candidateDigest(candidates));
  const items = await db.selectFrom('lookback_items').selectAll().where('draw_id', '=', drawId).orderBy('position').execute();
  const keys = items.map((i) => (i.report_id ? `lead:${i.report_id}` : `row:${i.row_id}`));
  t.equal(keys.length, 1, '1% of 6, at least one');
  t.same(drawSample(draw.seed, candidates, Number(draw.rate_percent), draw.minimum), keys, 'the recorded seed repeats the draw');
  const audit = await db.selectFrom('audit_log').select('detail').where('action', '=', 'lookback.draw').executeTakeFirstOrThrow();
  t.same(audit.detail.drawn, keys);

  const random = await inv.post('/staff/lookback', { assignee: 'none' });
  t.equal(random.statusCode, 303);
  const second = await db.selectFrom('lookback_draws').select('seed').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.match(second.seed, /^[0-9a-f]{32}$/, 'a random seed when none is given');
  t.equal((await inv.post('/staff/lookback', { seed: 'a b', assignee: 'none' })).statusCode, 400);

  // Relapse on a finished row: it is reopened, with the finding in its history.
  const rowItem = await db.insertInto('lookback_items').values({ draw_id: drawId, position: 9, row_id: doneRow }).returning('id').executeTakeFirstOrThrow();
  t.equal((await inv.post(`/staff/lookback/items/${rowItem.id}/finding`, { finding: 'relapsed', note: '又出现乱收费 <script>x</script>' })).statusCode, 303);
  const reopened = await db.selectFrom('problem_rows').select(['progress', 'done_at']).where('id', '=', doneRow).executeTakeFirstOrThrow();
  t.same(reopened, { progress: 'in_progress', done_at: null }, 'a relapse reopens the row');
  const notes = await db.selectFrom('problem_row_notes').select(['progress', 'lookback']).where('row_id', '=', doneRow).orderBy('id').execute();
  t.same(notes, [{ progress: 'done', lookback: false }, { progress: 'in_progress', lookback: true }]);
  t.equal((await inv.post(`/staff/lookback/items/${rowItem.id}/finding`, { finding: 'held', note: '改口' })).statusCode, 409, 'a finding is recorded once');

  // Relapse on a lead: its rows reopen and the lead is flagged.
  await db.updateTable('problem_rows').set({ progress: 'done', done_at: new Date() }).where('id', '=', leadRow).execute();
  const leadItem = await db.insertInto('lookback_items').values({ draw_id: drawId, position: 10, report_id: leads[0]! }).returning('id').executeTakeFirstOrThrow();
  t.equal((await inv.post(`/staff/lookback/items/${leadItem.id}/finding`, { finding: 'relapsed', note: '回访发现未退款' })).statusCode, 303);
  t.equal((await db.selectFrom('problem_rows').select('progress').where('id', '=', leadRow).executeTakeFirstOrThrow()).progress, 'in_progress');
  const leadPage = await inv.get(`/staff/leads/${leads[0]}`);
  t.match(leadPage.body, '回头看复查发现问题反弹');
  t.match(leadPage.body, '回访发现未退款', 'the finding is on the timeline');
  const held = await db.insertInto('lookback_items').values({ draw_id: drawId, position: 11, report_id: leads[1]! }).returning('id').executeTakeFirstOrThrow();
  t.equal((await inv.post(`/staff/lookback/items/${held.id}/finding`, { finding: 'held', note: '整改到位' })).statusCode, 303);
  t.notMatch((await inv.get(`/staff/leads/${leads[1]}`)).body, '回头看复查发现问题反弹', 'held: no flag');

  const page = await inv.get(`/staff/lookback/${drawId}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'public-lottery-0815');
  t.notMatch(page.body, '<script>x', 'the note is escaped');
  t.match(page.body, '&lt;script&gt;x');
  t.equal((await inv.post(`/staff/lookback/${drawId}/assign`, { assignee: 'none' })).statusCode, 303);
  const findings = await db.selectFrom('audit_log').select('action').where('action', '=', 'lookback.finding').execute();
  t.equal(findings.length, 3);
});

t.test('with no candidates nothing is drawn, and the draw is still recorded', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  t.equal((await admin.post('/staff/lookback', { assignee: 'none' })).statusCode, 303);
  const draw = await ta.database.db.selectFrom('lookback_draws').selectAll().executeTakeFirstOrThrow();
  t.equal(draw.candidate_count, 0);
  t.equal((await ta.database.db.selectFrom('lookback_items').select('id').execute()).length, 0);
});
