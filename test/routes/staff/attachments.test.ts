import t, { type Test } from 'tap';
import { multipart, pdfWithMetadata, photoWithGps, storedFiles } from '../../support/attachments.js';
import { testApp, tokenFrom, VALID_REPORT, type TestApp } from '../../support/app.js';
import { signIn } from '../../support/staff.js';

// Reporters' files reach staff through one route: only an admin or the assigned investigator, as a
// download with the stored type, nosniff, a sandboxing CSP, no caching, and an audit row each time.

const NAME = '收据 王家;\u0007\u202e.jpg';
const SHOWN = '收据 王家;.jpg';

async function leadWithFiles(t: Test) {
  const ta = await testApp(t);
  const token = tokenFrom((await ta.app.inject('/report')).body);
  const body = multipart({ ...VALID_REPORT, token }, [
    { name: NAME, bytes: await photoWithGps() },
    { name: 'scan.pdf', bytes: await pdfWithMetadata() },
  ]);
  const res = await ta.app.inject({ method: 'POST', url: '/report', headers: body.headers, payload: body.payload });
  t.equal(res.statusCode, 200);
  const files = await storedFiles(ta.database);
  return { ta, id: files[0]!.report_id, files };
}

const assign = (ta: TestApp, id: string, userId: string | null) =>
  ta.database.db.updateTable('reports').set({ assignee_id: userId }).where('id', '=', id).execute();

const audit = (ta: TestApp, action: string) =>
  ta.database.db.selectFrom('audit_log').select(['actor_id', 'report_id', 'detail']).where('action', '=', action).orderBy('id').execute();

t.test('an admin and the assigned investigator download the cleaned file, safely, on the record', async (t) => {
  const { ta, id, files } = await leadWithFiles(t);
  const admin = await signIn(ta, 'admin');
  const inv = await signIn(ta, 'investigator');
  await assign(ta, id, inv.userId);
  const [photo, pdf] = files;
  for (const [who, agent] of [['admin', admin], ['assigned investigator', inv]] as const) {
    const res = await agent.get(`/staff/leads/${id}/attachments/${photo!.id}`);
    t.equal(res.statusCode, 200, who);
    t.same(res.rawPayload, photo!.bytes, `${who}: the stored (cleaned) bytes`);
    t.equal(res.headers['content-type'], 'image/jpeg', 'the stored type');
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.match(res.headers['content-security-policy'], /sandbox/);
    t.match(res.headers['content-security-policy'], /default-src 'none'/);
    t.equal(res.headers['cache-control'], 'private, no-store');
    const disposition = String(res.headers['content-disposition']);
    t.match(disposition, /^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/, 'an attachment, the name encoded');
    t.equal(decodeURIComponent(disposition.split("UTF-8''")[1]!), SHOWN, 'the display name, control characters gone');
  }
  const doc = await admin.get(`/staff/leads/${id}/attachments/${pdf!.id}`);
  t.equal(doc.headers['content-type'], 'application/pdf');
  t.match(String(doc.headers['content-disposition']), /filename\*=UTF-8''scan\.pdf$/);

  const rows = await audit(ta, 'attachment.download');
  t.same(
    rows.map((r) => [r.actor_id, r.report_id, r.detail.attachmentId]),
    [
      [admin.userId, id, photo!.id],
      [inv.userId, id, photo!.id],
      [admin.userId, id, pdf!.id],
    ],
    'every download is in the audit log',
  );
  const preview = await ta.app.inject({ url: `/staff/leads/${id}/attachments/${photo!.id}`, headers: { cookie: admin.cookie, 'sec-fetch-dest': 'image' } });
  t.equal(preview.statusCode, 200);
  t.equal((await audit(ta, 'attachment.download')).at(-1)!.detail.preview, true, 'a preview is recorded as one');
});

t.test('a viewer, a clerk, an unassigned investigator: 404 as for a missing file, and the attempt recorded', async (t) => {
  const { ta, id, files } = await leadWithFiles(t);
  const viewer = await signIn(ta, 'viewer');
  const clerk = await signIn(ta, 'clerk');
  const other = await signIn(ta, 'investigator', 'investigator2');
  const assigned = await signIn(ta, 'investigator', 'investigator3');
  await assign(ta, id, assigned.userId);
  const url = `/staff/leads/${id}/attachments/${files[0]!.id}`;
  const missing = await assigned.get(`/staff/leads/${id}/attachments/999999`);
  t.equal(missing.statusCode, 404);
  for (const [who, agent] of [['viewer', viewer], ['clerk', clerk], ['another investigator', other]] as const) {
    const res = await agent.get(url);
    t.equal(res.statusCode, 404, who);
    t.equal(res.headers['content-type'], missing.headers['content-type'], `${who}: the same answer as a missing file`);
    t.notOk(res.rawPayload.includes(files[0]!.bytes.subarray(0, 32)), `${who}: none of the bytes`);
    t.notMatch(res.body, files[0]!.display_name.slice(0, 2));
  }
  t.same((await audit(ta, 'attachment.denied')).map((r) => r.actor_id), [viewer.userId, clerk.userId, other.userId]);
  t.same(await audit(ta, 'attachment.download'), [], 'nothing was downloaded');
});

t.test('a file is found only under its own lead; ids that are not numbers are 404', async (t) => {
  const { ta, id, files } = await leadWithFiles(t);
  const admin = await signIn(ta, 'admin');
  const other = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
  t.equal(other.statusCode, 201);
  const otherId = String(Number(id) + 1);
  t.equal((await admin.get(`/staff/leads/${otherId}/attachments/${files[0]!.id}`)).statusCode, 404, 'not through another lead');
  for (const bad of ['../1', '1;2', '-1', '1e3', '%2e%2e']) {
    t.equal((await admin.get(`/staff/leads/${id}/attachments/${bad}`)).statusCode, 404, bad);
  }
});

t.test('without a session: the login page, never the bytes', async (t) => {
  const { ta, id, files } = await leadWithFiles(t);
  const res = await ta.app.inject(`/staff/leads/${id}/attachments/${files[0]!.id}`);
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/staff\/login/);
  t.equal(res.rawPayload.length, 0);
});

t.test('the lead page lists the files with links and previews, for those allowed only', async (t) => {
  const { ta, id, files } = await leadWithFiles(t);
  const admin = await signIn(ta, 'admin');
  const viewer = await signIn(ta, 'viewer');
  const inv = await signIn(ta, 'investigator');
  const href = (f: { id: string }) => `/staff/leads/${id}/attachments/${f.id}`;

  const page = (await admin.get(`/staff/leads/${id}`)).body;
  t.match(page, '共 2 个文件');
  t.match(page, `<a href="${href(files[0]!)}" download>${SHOWN}</a> · JPEG`);
  t.match(page, `<img src="${href(files[0]!)}" alt="${SHOWN}" class="attachment-preview"`, 'an image preview');
  t.match(page, `<a href="${href(files[1]!)}" download>scan.pdf</a> · PDF`);
  t.notMatch(page, `<img src="${href(files[1]!)}"`, 'no preview for a PDF');

  for (const [who, agent] of [['viewer', viewer], ['unassigned investigator', inv]] as const) {
    const body = (await agent.get(`/staff/leads/${id}`)).body;
    t.match(body, '共 2 个文件', `${who}: how many`);
    t.match(body, '只有管理员和承办人可以打开', `${who}: and who may open them`);
    t.notMatch(body, '/attachments/', `${who}: no link, no preview`);
    t.notMatch(body, 'scan.pdf', `${who}: no names`);
  }
});

t.test('an upward transfer leaves no file behind', async (t) => {
  const ta = await testApp(t);
  const token = tokenFrom((await ta.app.inject('/report')).body);
  const fields = { ...VALID_REPORT, subject: '镇领导', description: '听说张华让他亲戚的施工队包了全村的危房改造。', token };
  const body = multipart(fields, [{ name: 'a.jpg', bytes: await photoWithGps() }]);
  t.equal((await ta.app.inject({ method: 'POST', url: '/report', headers: body.headers, payload: body.payload })).statusCode, 200);
  const id = (await storedFiles(ta.database))[0]!.report_id;
  const admin = await signIn(ta, 'admin');
  const { version } = await ta.database.db.selectFrom('reports').select('version').where('id', '=', id).executeTakeFirstOrThrow();
  const res = await admin.post(`/staff/leads/${id}/status`, {
    version: String(version),
    to: 'transferred',
    transferredTo: '渝北区纪委监委',
    publicUpdate: '已按规定移交上级纪检监察机关办理。',
  });
  t.equal(res.statusCode, 303);
  t.same(await storedFiles(ta.database), [], 'the files went with the rest');
});
