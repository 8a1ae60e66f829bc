import exifr from 'exifr';
import t, { type Test } from 'tap';
import { multipart, pdfWithMetadata, photoWithGps, storedFiles, type FilePart } from '../../support/attachments.js';
import { HOTLINE, rowCounts, testApp, VALID_REPORT } from '../../support/app.js';

// A reporter's message on the status page can carry files too: stored with the message in its
// transaction, cleaned the same way, or nothing stored and the message form back as typed.

const TEXT = '补充一下：收据照片在这里，收钱的是村会计。';

async function setup(t: Test) {
  const ta = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000' } });
  const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
  const code = String(res.json().code).replace(/ /g, '');
  const send = (fields: Record<string, string>, files: FilePart[]) => {
    const body = multipart({ code, kind: 'info', text: TEXT, ...fields }, files);
    return ta.app.inject({ method: 'POST', url: '/status/messages', headers: body.headers, payload: body.payload });
  };
  const counts = async () => {
    const c = await rowCounts(ta.database.db);
    return { messages: c.report_messages, attachments: c.attachments };
  };
  return { ...ta, code, send, counts };
}

t.test('the message form takes files, last in the form', async (t) => {
  const { app, code } = await setup(t);
  const page = await app.inject({ method: 'POST', url: '/status', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `code=${code}` });
  t.match(page.body, '<form method="post" action="/status/messages" enctype="multipart/form-data"');
  t.match(page.body, /<input type="file" id="files" name="files" multiple accept="image\/\*,application\/pdf"/);
  t.ok(page.body.indexOf('name="files"') > page.body.indexOf('name="text"'), 'after the text');
});

t.test('a message with a photo and a PDF: both stored with the message, cleaned', async (t) => {
  const { database, send, counts } = await setup(t);
  const res = await send({}, [
    { name: '收据.jpg', bytes: await photoWithGps() },
    { name: 'scan.pdf', bytes: await pdfWithMetadata() },
  ]);
  t.equal(res.statusCode, 200);
  t.match(res.body, '<li>收据.jpg</li>', 'the names are listed among the files sent');
  t.match(res.body, '这 2 个文件');
  t.same(await counts(), { messages: 1, attachments: 2 });
  const message = await database.db.selectFrom('report_messages').select(['id', 'report_id']).executeTakeFirstOrThrow();
  const files = await storedFiles(database);
  t.same(files.map((f) => [f.report_id, f.message_id]), [[message.report_id, message.id], [message.report_id, message.id]], 'tied to the message');
  t.equal(await exifr.gps(files[0]!.bytes), undefined, 'no GPS');
  t.notOk(files[1]!.bytes.includes(Buffer.from('Huawei Scanner')), 'no PDF producer');
});

t.test('a refused file: nothing stored, the message kept, the error next to the files', async (t) => {
  const { send, counts } = await setup(t);
  const html = await send({}, [{ name: 'ok.jpg', bytes: await photoWithGps() }, { name: 'x.jpg', bytes: Buffer.from('<html></html>') }]);
  t.equal(html.statusCode, 415);
  t.match(html.body, /<p class="field-error" id="files-error">.*只接受照片/);
  t.match(html.body, `>${TEXT}</textarea>`, 'the text kept');
  t.match(html.body, '您刚才选择的文件没有发送');
  t.match(html.body, HOTLINE);
  const photo = await photoWithGps();
  const six = await send({}, Array.from({ length: 6 }, (_, i) => ({ name: `${i}.jpg`, bytes: photo })));
  t.equal(six.statusCode, 413);
  t.match(six.body, '一次最多只能发送 5 个文件');
  t.match(six.body, `>${TEXT}</textarea>`);
  const short = await send({ text: '太短' }, [{ name: 'ok.jpg', bytes: photo }]);
  t.equal(short.statusCode, 400, 'a text too short with a good file');
  t.same(await counts(), { messages: 0, attachments: 0 });
});

t.test('a message without files still works, multipart or urlencoded', async (t) => {
  const { app, code, send, counts } = await setup(t);
  t.equal((await send({}, [])).statusCode, 200);
  const plain = await app.inject({
    method: 'POST',
    url: '/status/messages',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ code, kind: 'info', text: TEXT }).toString(),
  });
  t.equal(plain.statusCode, 200);
  t.same(await counts(), { messages: 2, attachments: 0 });
});

t.test('API: a message with files, as multipart with the JSON in `message`', async (t) => {
  const { app, code, database, counts } = await setup(t);
  const send = (message: unknown, files: FilePart[]) => {
    const body = multipart({ message: JSON.stringify(message) }, files);
    return app.inject({ method: 'POST', url: '/api/v1/status/messages', headers: body.headers, payload: body.payload });
  };
  const ok = await send({ code, kind: 'info', text: TEXT }, [{ name: '收据.jpg', bytes: await photoWithGps() }]);
  t.equal(ok.statusCode, 201);
  t.same(ok.json().files, ['收据.jpg'], 'the status it answers lists the file');
  t.same(await counts(), { messages: 1, attachments: 1 });
  t.equal(await exifr.gps((await storedFiles(database))[0]!.bytes), undefined);

  const refused = await send({ code, kind: 'info', text: TEXT }, [{ name: 'a.svg', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') }]);
  t.equal(refused.statusCode, 415);
  t.equal(refused.json().fields[0].code, 'files.kind');
  t.equal(refused.json().hotline, HOTLINE);
  const json = await app.inject({ method: 'POST', url: '/api/v1/status/messages', payload: { code, kind: 'info', text: TEXT } });
  t.equal(json.statusCode, 201, 'JSON alone still works');
  t.same(await counts(), { messages: 2, attachments: 1 });
});
