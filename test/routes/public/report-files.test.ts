import { randomBytes } from 'node:crypto';
import exifr from 'exifr';
import t, { type Test } from 'tap';
import { loadCatalogs } from '../../../src/i18n/index.js';
import { multipart, pdfWithMetadata, photoWithGps, pngWithText, storedFiles, type FilePart } from '../../support/attachments.js';
import { codeFrom, FORM, formBody, HOTLINE, rowCounts, testApp, tokenFrom, VALID_REPORT } from '../../support/app.js';

// The report form with files: cleaned and stored with the report in one go, or nothing stored and
// the form back with everything typed and the error next to the file field.

const zh = loadCatalogs()['zh-CN'];
const REPLAYED = zh['receipt.replayed']!;
const TYPED = {
  ...VALID_REPORT,
  village: 'gulu',
  subject: '村会计张某',
  amount: '500',
  periodYear: '2023',
  periodMonth: '5',
  identity: 'real',
  name: '王秀英',
  phone: '13912345678',
};

async function setup(t: Test, env: Record<string, string> = {}) {
  const { app, database } = await testApp(t, { env: { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000', ...env } });
  const token = async () => tokenFrom((await app.inject('/report')).body);
  const post = (fields: Record<string, string>, files: FilePart[]) => {
    const body = multipart(fields, files);
    return app.inject({ method: 'POST', url: '/report', headers: body.headers, payload: body.payload });
  };
  const counts = async () => {
    const c = await rowCounts(database.db);
    return { reports: c.reports, attachments: c.attachments, receipts: c.submission_receipts, outbox: c.mail_outbox };
  };
  return { app, database, token, post, counts };
}

const NOTHING = { reports: 0, attachments: 0, receipts: 0, outbox: 0 };

/** The page came back with what was typed, the file error in its place, and the hotline. */
function formKeptWithError(t: Test, html: string, message: RegExp) {
  t.match(html, /<form method="post" action="\/report" enctype="multipart\/form-data"/, 'the form again');
  t.match(html, new RegExp(`<p class="field-error" id="files-error">.*${message.source}`), 'the error next to the file field');
  t.match(html, /<a href="#files">/, 'and in the summary, linked to it');
  t.match(html, VALID_REPORT.description, 'the description kept');
  t.match(html, 'value="村会计张某"', 'the subject kept');
  t.match(html, '<option value="gulu" selected>', 'the village kept');
  t.match(html, 'value="500"', 'the amount kept');
  t.match(html, 'value="王秀英"', 'the name kept');
  t.match(html, 'value="13912345678"', 'the phone kept');
  t.match(html, zh['report.files.again']!, 'asked to choose the files again');
  t.match(html, HOTLINE, 'with the hotline');
}

t.test('the form takes files: multipart, the camera on phones, and says what works', async (t) => {
  const { app } = await setup(t);
  const html = (await app.inject('/report')).body;
  t.match(html, '<form method="post" action="/report" enctype="multipart/form-data"');
  t.match(html, /<input type="file" id="files" name="files" multiple accept="image\/\*,application\/pdf"/);
  t.match(html, '最多 5 个，每个不超过 10 MB，合计不超过 25 MB');
  t.ok(html.indexOf('name="files"') > html.indexOf('name="phone"'), 'the file field comes after every text field');
});

t.test('a report with a photo and a PDF: stored cleaned, sealed, with the report, in one go', async (t) => {
  const { app, database, token, post, counts } = await setup(t);
  const photo = await photoWithGps({ orientation: 6 });
  const pdf = await pdfWithMetadata();
  const res = await post({ ...VALID_REPORT, token: await token() }, [
    { name: '收据 2023.jpg', bytes: photo, type: 'image/jpeg' },
    { name: 'scan.pdf', bytes: pdf, type: 'application/pdf' },
  ]);
  t.equal(res.statusCode, 200);
  const code = codeFrom(res.body);
  t.match(res.body, '收据 2023.jpg', 'the receipt lists the files');
  t.same(await counts(), { reports: 1, attachments: 2, receipts: 1, outbox: 1 });

  const files = await storedFiles(database);
  const report = await database.db.selectFrom('reports').select('id').executeTakeFirstOrThrow();
  t.same(files.map((f) => [f.report_id, f.message_id, f.display_name, f.mime]), [
    [report.id, null, '收据 2023.jpg', 'image/jpeg'],
    [report.id, null, 'scan.pdf', 'application/pdf'],
  ]);
  for (const f of files) {
    t.equal(f.size_bytes, f.bytes.length, `${f.display_name}: size of the stored bytes`);
    t.same(f.sha256, (await import('node:crypto')).createHash('sha256').update(f.bytes).digest(), `${f.display_name}: their SHA-256`);
    t.notOk(f.sealed.includes(f.bytes.subarray(0, 64)), `${f.display_name}: sealed, not stored in the clear`);
  }
  t.equal(await exifr.parse(files[0]!.bytes, true), undefined, 'the stored photo has no EXIF');
  t.equal(await exifr.gps(files[0]!.bytes), undefined, 'and no GPS');
  t.notOk(files[1]!.bytes.includes(Buffer.from('Huawei Scanner')), 'the stored PDF has no producer');

  // The reporter sees the names with their code, and nothing to open them with.
  const status = await app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }) });
  t.equal(status.statusCode, 200);
  t.match(status.body, zh['status.files.title']!);
  t.match(status.body, '这 2 个文件');
  t.match(status.body, '<li>收据 2023.jpg</li>');
  t.notMatch(status.body, /attachments/, 'no link to any file');
});

t.test('a PNG and a WebP are accepted, stored as what they are', async (t) => {
  const { database, token, post } = await setup(t);
  const res = await post({ ...VALID_REPORT, token: await token() }, [
    { name: 'a.png', bytes: await pngWithText() },
    { name: 'b.webp', bytes: await photoWithGps({ format: 'webp' }) },
  ]);
  t.equal(res.statusCode, 200);
  t.same((await storedFiles(database)).map((f) => f.mime), ['image/png', 'image/webp']);
});

t.test('urlencoded posts still work, and an empty file input is no file', async (t) => {
  const { app, token, post, counts } = await setup(t);
  const plain = await app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, token: await token() }) });
  t.equal(plain.statusCode, 200);
  const empty = await post({ ...VALID_REPORT, token: await token() }, [{ name: '', bytes: Buffer.alloc(0) }]);
  t.equal(empty.statusCode, 200, 'a browser sends an empty part when no file was chosen');
  t.same(await counts(), { reports: 2, attachments: 0, receipts: 2, outbox: 2 });
});

t.test('a file that is not an accepted kind: 415, nothing saved, the form back as typed', async (t) => {
  const { token, post, counts } = await setup(t);
  const cases: [string, FilePart][] = [
    ['HTML renamed .jpg', { name: 'photo.jpg', bytes: Buffer.from('<!doctype html><script>alert(1)</script>'), type: 'image/jpeg' }],
    ['SVG', { name: 'receipt.svg', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), type: 'image/svg+xml' }],
    ['ZIP named .pdf', { name: 'doc.pdf', bytes: Buffer.from('PK\x03\x04\x14\x00\x00\x00%PDF-1.7', 'latin1'), type: 'application/pdf' }],
  ];
  for (const [what, file] of cases) {
    const res = await post({ ...TYPED, token: await token() }, [{ name: 'ok.jpg', bytes: await photoWithGps() }, file]);
    t.equal(res.statusCode, 415, what);
    formKeptWithError(t, res.body, /只接受照片（JPEG、PNG、WebP）和 PDF 文件/);
    t.match(res.body, file.name, `${what}: the file is named`);
  }
  t.same(await counts(), NOTHING, 'not the report, not the good file');
});

t.test('an iPhone HEIC photo: 415 with a word on how to send it', async (t) => {
  const { token, post, counts } = await setup(t);
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
  const res = await post({ ...TYPED, token: await token() }, [{ name: 'IMG_0001.HEIC', bytes: heic }]);
  t.equal(res.statusCode, 415);
  formKeptWithError(t, res.body, /HEIC/);
  t.match(res.body, '兼容性最佳');
  t.same(await counts(), NOTHING);
});

t.test('a decompression bomb, a damaged photo: refused, nothing saved', async (t) => {
  const { token, post, counts } = await setup(t);
  const sharp = (await import('sharp')).default;
  const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer());
  png.writeUInt32BE(100_000, 16);
  png.writeUInt32BE(100_000, 20);
  const bomb = await post({ ...TYPED, token: await token() }, [{ name: 'bomb.png', bytes: png }]);
  t.equal(bomb.statusCode, 413);
  formKeptWithError(t, bomb.body, /图片尺寸太大/);
  const damaged = await post({ ...TYPED, token: await token() }, [{ name: 'cut.jpg', bytes: (await photoWithGps()).subarray(0, 300) }]);
  t.equal(damaged.statusCode, 400);
  formKeptWithError(t, damaged.body, /无法读取/);
  t.same(await counts(), NOTHING);
});

t.test('limits: a file too large, six files, too much in all — 413, nothing saved, text kept', async (t) => {
  const { token, post, counts } = await setup(t, { UPLOAD_MAX_FILE_MB: '1', UPLOAD_MAX_TOTAL_MB: '2' });
  const photo = await photoWithGps();

  const big = await post({ ...TYPED, token: await token() }, [{ name: 'ok.jpg', bytes: photo }, { name: '大.jpg', bytes: randomBytes(1024 * 1024 + 1) }]);
  t.equal(big.statusCode, 413, 'one byte over the size of a file');
  formKeptWithError(t, big.body, /“大\.jpg”超过 1 MB/);

  const six = await post({ ...TYPED, token: await token() }, Array.from({ length: 6 }, (_, i) => ({ name: `${i}.jpg`, bytes: photo })));
  t.equal(six.statusCode, 413, 'six files');
  formKeptWithError(t, six.body, /一次最多只能发送 5 个文件/);

  const total = await post({ ...TYPED, token: await token() }, [0, 1, 2].map((i) => ({ name: `${i}.bin`, bytes: randomBytes(900 * 1024) })));
  t.equal(total.statusCode, 413, 'three files of 0.9 MB against 2 MB in all');
  formKeptWithError(t, total.body, /合计不超过 2 MB|合计超过 2 MB/);

  t.same(await counts(), NOTHING);

  const five = await post({ ...VALID_REPORT, token: await token() }, Array.from({ length: 5 }, (_, i) => ({ name: `${i}.jpg`, bytes: photo })));
  t.equal(five.statusCode, 200, 'five files are fine');
  t.equal((await counts()).attachments, 5);
});

t.test('a file the parser cannot read (a bare CR in its name) is never dropped in silence: 400, the form back with the reason', async (t) => {
  const { token, post, counts } = await setup(t);
  const photo = await photoWithGps();
  const crName = { name: 'x', bytes: photo, rawHeaders: ['Content-Disposition: form-data; name="files"; filename="收据\r照片.jpg"', 'Content-Type: image/jpeg'] };
  const res = await post({ ...TYPED, token: await token() }, [{ name: 'ok.jpg', bytes: photo }, crName]);
  t.equal(res.statusCode, 400);
  formKeptWithError(t, res.body, new RegExp(zh['errors.files.unreadable']!.slice(0, 12)));
  const noDisposition = { name: 'x', bytes: photo, rawHeaders: ['Content-Type: image/jpeg'] };
  const skipped = await post({ ...TYPED, token: await token() }, [noDisposition]);
  t.equal(skipped.statusCode, 400, 'a part the parser skips for another reason, too');
  t.match(skipped.body, zh['errors.files.unreadable']!.slice(0, 12));
  t.same(await counts(), NOTHING, 'no report stored without its photo');
});

t.test('a part with thousands of header lines, or one huge header: refused, nothing saved', async (t) => {
  const { token, post, counts } = await setup(t);
  const photo = await photoWithGps();
  const base = ['Content-Disposition: form-data; name="files"; filename="a.jpg"', 'Content-Type: image/jpeg'];
  const many = { name: 'x', bytes: photo, rawHeaders: [...base, ...Array.from({ length: 5000 }, (_, i) => `X-Line-${i}: ${i}`)] };
  const huge = { name: 'x', bytes: photo, rawHeaders: [...base, `X-Big: ${'a'.repeat(20_000)}`] };
  for (const [what, part] of [['5,000 header lines', many], ['a 20 KB header', huge]] as const) {
    const res = await post({ ...TYPED, token: await token() }, [part]);
    t.equal(res.statusCode, 400, what);
    t.match(res.body, HOTLINE, `${what}: the error page with the hotline`);
  }
  const fine = await post({ ...TYPED, token: await token() }, [{ name: 'x', bytes: photo, rawHeaders: [...base, ...Array.from({ length: 10 }, (_, i) => `X-Line-${i}: ${i}`)] }]);
  t.equal(fine.statusCode, 200, 'a dozen header lines are fine');
  t.same(await counts(), { reports: 1, attachments: 1, receipts: 1, outbox: 1 });
});

t.test('a text field cut short by its limit: the 413 page with the hotline, nothing saved', async (t) => {
  const { token, post, counts } = await setup(t);
  const res = await post({ ...VALID_REPORT, token: await token(), description: '长'.repeat(30_000) }, []);
  t.equal(res.statusCode, 413);
  t.match(res.body, HOTLINE);
  t.same(await counts(), NOTHING);
});

t.test('invalid text with good files: 400, nothing saved, files asked for again', async (t) => {
  const { token, post, counts } = await setup(t);
  const res = await post({ ...TYPED, token: await token(), description: '太短' }, [{ name: 'ok.jpg', bytes: await photoWithGps() }]);
  t.equal(res.statusCode, 400);
  t.match(res.body, 'id="description-error"');
  t.match(res.body, zh['report.files.again']!);
  t.same(await counts(), NOTHING);
});

t.test('a name with a path, control and bidi characters is stored as plain display text', async (t) => {
  const { app, database, token, post } = await setup(t);
  const res = await post({ ...VALID_REPORT, token: await token() }, [
    { name: '../../etc/\u202epasswd\u0007.jpg', bytes: await photoWithGps() },
  ]);
  t.equal(res.statusCode, 200);
  const [file] = await storedFiles(database);
  t.equal(file!.display_name, 'passwd.jpg', 'the last path part only, without control or bidi characters');
  const odd = await post({ ...VALID_REPORT, token: await token() }, [{ name: '\u202e<img src=x onerror=alert(1)>gpj.jpg', bytes: await photoWithGps() }]);
  t.equal(odd.statusCode, 200);
  const names = (await storedFiles(database)).map((f) => f.display_name);
  t.equal(names[1], '<img src=x onerror=alert(1)>gpj.jpg', 'the bidi override is gone');
  t.notMatch(odd.body, '<img src=x', 'and the name is escaped on the page');
  t.match(odd.body, '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;gpj.jpg');
  t.ok(app);
});

t.test('a double submission with the same files files one report and stores the files once', async (t) => {
  const { token, post, counts } = await setup(t);
  const fields = { ...VALID_REPORT, token: await token() };
  const files = [{ name: 'a.jpg', bytes: await photoWithGps() }, { name: 'b.pdf', bytes: await pdfWithMetadata() }];
  const first = await post(fields, files);
  const second = await post(fields, files);
  t.equal(codeFrom(second.body), codeFrom(first.body), 'the same code');
  t.match(second.body, REPLAYED);
  t.same(await counts(), { reports: 1, attachments: 2, receipts: 1, outbox: 1 });

  const another = await token();
  const together = await Promise.all([1, 2, 3].map(async () => post({ ...VALID_REPORT, token: another }, files)));
  t.equal(new Set(together.map((r) => codeFrom(r.body))).size, 1, 'concurrent repeats: one code');
  t.same(await counts(), { reports: 2, attachments: 4, receipts: 2, outbox: 2 });

  const other = await post(fields, [files[0]!]);
  t.not(codeFrom(other.body), codeFrom(first.body), 'the same token with other files is another report');
  t.same(await counts(), { reports: 3, attachments: 5, receipts: 2, outbox: 3 });
});

t.test('a reporter has no way to any file: no public route, staff routes need a session', async (t) => {
  const { app, token, post } = await setup(t);
  await post({ ...VALID_REPORT, token: await token() }, [{ name: 'a.jpg', bytes: await photoWithGps() }]);
  for (const url of ['/staff/leads/1/attachments/1', '/attachments/1', '/report/attachments/1', '/status/attachments/1', '/api/v1/attachments/1']) {
    const res = await app.inject(url);
    t.ok([303, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
    if (res.statusCode === 303) t.match(res.headers.location, /^\/staff\/login/);
    t.notMatch(res.headers['content-type'] ?? '', /image|pdf|octet/);
  }
});

t.test('API: multipart with the report as JSON and its files; JSON alone still works', async (t) => {
  const { app, database, counts } = await setup(t);
  const send = (report: unknown, files: FilePart[], key?: string) => {
    const body = multipart({ report: JSON.stringify(report) }, files);
    return app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...body.headers, ...(key ? { 'idempotency-key': key } : {}) }, payload: body.payload });
  };
  const photo = await photoWithGps();
  const first = await send(VALID_REPORT, [{ name: '收据.jpg', bytes: photo }], 'api-files-key-0123456789');
  t.equal(first.statusCode, 201);
  t.same(Object.keys(first.json()).sort(), ['code', 'files', 'status', 'submittedAt']);
  t.same(first.json().files, ['收据.jpg']);
  const retry = await send(VALID_REPORT, [{ name: '收据.jpg', bytes: photo }], 'api-files-key-0123456789');
  t.equal(retry.statusCode, 200, 'a retry with the same key and files');
  t.equal(retry.json().code, first.json().code);
  t.same(await counts(), { reports: 1, attachments: 1, receipts: 1, outbox: 1 });
  t.equal(await exifr.gps((await storedFiles(database))[0]!.bytes), undefined, 'stored without GPS');

  const status = await app.inject({ method: 'POST', url: '/api/v1/status', payload: { code: first.json().code } });
  t.same(status.json().files, ['收据.jpg'], 'the status lists the names');

  const html = await send(VALID_REPORT, [{ name: 'x.jpg', bytes: Buffer.from('<html></html>') }]);
  t.equal(html.statusCode, 415);
  t.same(Object.keys(html.json()).sort(), ['error', 'fields', 'hotline', 'message']);
  t.equal(html.json().error, 'unsupported_media_type');
  t.equal(html.json().hotline, HOTLINE);
  t.equal(html.json().fields[0].field, 'files');
  t.equal(html.json().fields[0].code, 'files.kind');

  const six = await send(VALID_REPORT, Array.from({ length: 6 }, (_, i) => ({ name: `${i}.jpg`, bytes: photo })));
  t.equal(six.statusCode, 413);
  t.equal(six.json().fields[0].code, 'files.count');
  t.equal(six.json().hotline, HOTLINE);

  const invalid = await send({ category: 'integrity' }, [{ name: 'a.jpg', bytes: photo }]);
  t.equal(invalid.statusCode, 400);
  t.equal(invalid.json().error, 'validation');
  t.equal(invalid.json().fields[0].field, 'description');
  const garbled = await send('{not json', []);
  t.equal(garbled.statusCode, 400);
  t.same(await counts(), { reports: 1, attachments: 1, receipts: 1, outbox: 1 }, 'nothing more stored');

  const plain = await app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT });
  t.equal(plain.statusCode, 201);
  t.same(Object.keys(plain.json()).sort(), ['code', 'status', 'submittedAt']);
});

t.test('routes that take no files still refuse a multipart body', async (t) => {
  const { app } = await setup(t);
  const body = multipart({ code: '1234' }, []);
  for (const url of ['/api/v1/status']) {
    const res = await app.inject({ method: 'POST', url, headers: body.headers, payload: body.payload });
    t.equal(res.statusCode, 415, url);
  }
});
