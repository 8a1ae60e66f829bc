import { deflateSync } from 'node:zlib';
import exifr from 'exifr';
import { PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { cleanUploads, MAX_PIXELS, PROBLEM_STATUS, UploadRejected, type UploadProblem } from '../../src/attachments/clean.js';
import { KINDS } from '../../src/attachments/kinds.js';
import { contentDisposition, displayName, downloadName, NAME_MAX } from '../../src/attachments/names.js';
import { CAMERA, PDF_META, pdfWithMetadata, photoWithGps, pngWithText } from '../support/attachments.js';

// What the cleaning step lets through, read back with independent parsers (exifr, pdf-lib, sharp).

const clean = async (bytes: Buffer, name = 'file') => (await cleanUploads([{ name, bytes }]))[0]!;

async function rejection(t: Test, bytes: Buffer, problem: UploadProblem, name = 'file') {
  const err = await cleanUploads([{ name, bytes }]).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof UploadRejected, `${name}: rejected`);
  t.equal((err as UploadRejected).problem, problem, `${name}: ${problem} (HTTP ${PROBLEM_STATUS[problem]})`);
}

const has = (bytes: Buffer, text: string) => bytes.includes(Buffer.from(text, 'utf8'));

t.test('a JPEG with GPS, camera and dates comes out with no EXIF at all', async (t) => {
  const photo = await photoWithGps();
  const before = await exifr.parse(photo, true);
  t.ok(before.latitude && before.Make === CAMERA.Make, 'the test photo does carry GPS and the camera');
  const out = await clean(photo, 'IMG_20230512.jpg');
  t.equal(out.mime, 'image/jpeg');
  t.equal(await exifr.parse(out.bytes, true), undefined, 'exifr finds no metadata at all');
  t.equal(await exifr.gps(out.bytes), undefined, 'no GPS');
  const meta = await sharp(out.bytes).metadata();
  t.same([meta.exif, meta.xmp, meta.iptc, meta.icc], [undefined, undefined, undefined, undefined], 'no EXIF, XMP, IPTC or ICC block');
  for (const text of [CAMERA.Make, CAMERA.Model, CAMERA.BodySerialNumber, '2023:05:12', 'Exif']) t.notOk(has(out.bytes, text), `no "${text}" in the bytes`);
  t.equal(out.bytes.length > 0 && out.sha256.length, 32);
});

t.test('the orientation is applied before the EXIF that held it is dropped', async (t) => {
  // Red on the left of a 64×48 photo that says "turn 90° clockwise": upright it is 48×64, red on top.
  const out = await clean(await photoWithGps({ orientation: 6 }));
  const { data, info } = await sharp(out.bytes).raw().toBuffer({ resolveWithObject: true });
  t.same([info.width, info.height], [48, 64], 'turned');
  const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
  t.ok(pixel(2, 2)[0]! > 200 && pixel(2, 2)[2]! < 50, 'red at the top');
  t.ok(pixel(2, 60)[2]! > 200 && pixel(2, 60)[0]! < 50, 'blue at the bottom');
  t.equal((await sharp(out.bytes).metadata()).orientation, undefined, 'and no orientation tag left to turn it twice');
});

t.test('a WebP keeps its kind and loses its EXIF', async (t) => {
  const photo = await photoWithGps({ format: 'webp' });
  t.ok(has(photo, CAMERA.Make), 'the test WebP carries EXIF');
  const out = await clean(photo);
  t.equal(out.mime, 'image/webp');
  t.equal((await sharp(out.bytes).metadata()).exif, undefined);
  t.notOk(has(out.bytes, CAMERA.Make) || has(out.bytes, 'EXIF'), 'no EXIF chunk');
});

t.test('a PNG comes out without its text chunks', async (t) => {
  const png = await pngWithText();
  t.equal((await exifr.parse(png, { ihdr: true, mergeOutput: true })).Author, 'Wang Xiuying', 'the test PNG has an author');
  const out = await clean(png);
  t.equal(out.mime, 'image/png');
  for (const chunk of ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'Wang Xiuying']) t.notOk(has(out.bytes, chunk), `no ${chunk}`);
  t.equal((await exifr.parse(out.bytes, { ihdr: true, mergeOutput: true }))?.Author, undefined);
});

t.test('a PDF loses its document information, its XMP and the EXIF of the photos in it', async (t) => {
  const pdf = await pdfWithMetadata();
  const source = await PDFDocument.load(pdf, { updateMetadata: false });
  t.same([source.getAuthor(), source.getCreator(), source.getProducer()], [PDF_META.author, PDF_META.creator, PDF_META.producer], 'the test PDF has them');
  t.ok(has(pdf, CAMERA.Make), 'the embedded photo carries its EXIF');
  const out = await clean(pdf, 'scan.pdf');
  t.equal(out.mime, 'application/pdf');
  const doc = await PDFDocument.load(out.bytes, { updateMetadata: false });
  // Checked first: pdf-lib's getters make an empty one when there is none.
  t.equal(doc.context.trailerInfo.Info, undefined, 'no Info dictionary at all');
  t.same(
    [doc.getAuthor(), doc.getCreator(), doc.getProducer(), doc.getTitle(), doc.getSubject(), doc.getKeywords(), doc.getCreationDate(), doc.getModificationDate()],
    [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    'no Author, Creator, Producer, Title, Subject, Keywords or dates',
  );
  t.equal(doc.catalog.get(PDFName.of('Metadata')), undefined, 'no XMP stream');
  t.equal(doc.getPageCount(), 1, 'the page is there');
  const images = doc.context.enumerateIndirectObjects().filter(([, o]) => o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('Image'));
  t.equal(images.length, 1, 'with its photo');
  const photo = Buffer.from((images[0]![1] as PDFRawStream).contents);
  t.same((await sharp(photo).metadata()).width, 64, 'which still decodes');
  t.equal(await exifr.parse(photo, true), undefined, 'and carries no EXIF, XMP, IPTC or ICC');
  for (const text of [...Object.values(PDF_META), CAMERA.Make, CAMERA.BodySerialNumber, 'xmpmeta', '/Author', '/Producer']) {
    t.notOk(has(out.bytes, text) || out.bytes.includes(Buffer.from(text, 'utf16le')), `no "${text}" in the bytes`);
  }
});

t.test('the same file cleans to the same bytes (a repeated submission is recognised by them)', async (t) => {
  const photo = await photoWithGps();
  const pdf = await pdfWithMetadata();
  t.same((await clean(photo)).sha256, (await clean(photo)).sha256);
  t.same((await clean(pdf)).sha256, (await clean(pdf)).sha256);
});

t.test('anything but JPEG, PNG, WebP and PDF is refused, whatever its name says', async (t) => {
  await rejection(t, Buffer.from('<!doctype html><html><script>alert(1)</script></html>'), 'kind', 'photo.jpg');
  await rejection(t, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'), 'kind', 'receipt.svg');
  await rejection(t, Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), 'kind', 'xml.png');
  await rejection(t, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).gif().toBuffer(), 'kind', 'anim.gif');
  await rejection(t, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).tiff().toBuffer(), 'kind', 'scan.tif');
  await rejection(t, Buffer.from('PK\x03\x04\x14\x00\x00\x00\x00\x00%PDF-1.7 inside a zip', 'latin1'), 'kind', 'doc.pdf');
  await rejection(t, Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), 'kind', 'setup.exe.jpg');
  await rejection(t, Buffer.alloc(0), 'kind', 'empty.jpg');
});

t.test('HEIC/HEIF photos are refused with their own message', async (t) => {
  // The start of an iPhone photo: an ISO-BMFF "ftyp" box of brand heic.
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
  await rejection(t, heic, 'heic', 'IMG_0001.HEIC');
});

t.test('polyglots: a JPEG start on something else is refused; what trails a real image or PDF is dropped', async (t) => {
  const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0<html><script>alert(1)</script></html>'.padEnd(400, ' '))]);
  const err = await cleanUploads([{ name: 'x.jpg', bytes: fake }]).catch((e: unknown) => e);
  t.ok(err instanceof UploadRejected && ['kind', 'damaged'].includes(err.problem), 'a JPEG header followed by HTML is refused');

  const html = '<html><script>alert(document.cookie)</script></html>';
  const jpegAndHtml = Buffer.concat([await photoWithGps(), Buffer.from(html)]);
  const jpeg = await clean(jpegAndHtml);
  t.notOk(has(jpeg.bytes, '<script'), 'HTML after the end of a JPEG is gone');

  const zip = Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00payload.html<script>x</script>PK\x05\x06', 'latin1');
  const pdfAndZip = Buffer.concat([await pdfWithMetadata(), zip]);
  const pdf = await clean(pdfAndZip);
  t.notOk(has(pdf.bytes, 'PK\x03\x04') || has(pdf.bytes, 'payload.html'), 'a ZIP after the end of a PDF is gone');
});

t.test('a decompression bomb is refused before it is decoded', async (t) => {
  // A PNG header claiming 100,000 × 100,000 pixels (10 gigapixels), with a few bytes of data.
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer();
  const huge = Buffer.from(png);
  huge.writeUInt32BE(100_000, 16);
  huge.writeUInt32BE(100_000, 20);
  const before = process.memoryUsage().rss;
  await rejection(t, huge, 'pixels', 'bomb.png');
  // The same with a JPEG whose frame header claims 65,000 × 65,000.
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).jpeg().toBuffer();
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg.writeUInt16BE(65_000, sof + 5);
  jpeg.writeUInt16BE(65_000, sof + 7);
  await rejection(t, jpeg, 'pixels', 'bomb.jpg');
  t.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'without allocating the pixels');
  t.equal(MAX_PIXELS, 40_000_000);
});

t.test('a PDF whose streams inflate to hundreds of megabytes is refused without inflating them', async (t) => {
  const doc = await PDFDocument.create();
  doc.addPage([100, 100]);
  const base = Buffer.from(await doc.save({ useObjectStreams: false }));
  // An object stream of 100 MB of spaces compresses to ~100 KB.
  const payload = deflateSync(Buffer.concat([Buffer.from('99 0 '), Buffer.alloc(100 * 1024 * 1024, 0x20), Buffer.from('null')]));
  const objStm = Buffer.concat([
    Buffer.from(`\n50 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length ${payload.length} >>\nstream\n`),
    payload,
    Buffer.from('\nendstream\nendobj\n'),
  ]);
  const at = base.lastIndexOf('xref');
  const bomb = Buffer.concat([base.subarray(0, at), objStm, base.subarray(at)]);
  const before = process.memoryUsage().arrayBuffers;
  const started = Date.now();
  await rejection(t, bomb, 'damaged', 'bomb.pdf');
  t.ok(Date.now() - started < 3000, 'quickly');
  t.ok(process.memoryUsage().arrayBuffers - before < 100 * 1024 * 1024, 'without inflating it');
});

t.test('a password-protected PDF is refused', async (t) => {
  const doc = await PDFDocument.create();
  doc.addPage([100, 100]);
  const pdf = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
  const encrypted = pdf.replace('trailer\n<<', 'trailer\n<<\n/Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>');
  t.not(encrypted, pdf);
  await rejection(t, Buffer.from(encrypted, 'latin1'), 'encrypted', 'locked.pdf');
});

t.test('a damaged file of an accepted kind is refused', async (t) => {
  const photo = await photoWithGps();
  await rejection(t, photo.subarray(0, 200), 'damaged', 'cut.jpg');
  await rejection(t, Buffer.from('%PDF-1.7\n1 0 obj garbage'), 'damaged', 'broken.pdf');
});

t.test('a file name is display text only: path parts, control and bidi characters go', async (t) => {
  t.equal(displayName('../../etc/passwd', 'x'), 'passwd');
  t.equal(displayName('..\\..\\Windows\\win.ini', 'x'), 'win.ini');
  t.equal(displayName('C:\\Users\\wang\\收据 2023.jpg', 'x'), '收据 2023.jpg');
  t.equal(displayName('photo\u202egpj.exe', 'x'), 'photogpj.exe', 'no right-to-left override to disguise an extension');
  t.equal(displayName('a\r\nX-Injected: 1\u0000.jpg', 'x'), 'aX-Injected: 1.jpg', 'no line breaks or NUL');
  t.equal(displayName('\u200b\u2066收据\u2069\ufeff.png', 'x'), '收据.png');
  t.equal(displayName('...', 'fallback.jpg'), 'fallback.jpg');
  t.equal(displayName('', 'fallback.jpg'), 'fallback.jpg');
  t.equal(displayName('  many   spaces  .jpg ', 'x'), 'many spaces .jpg');
  const long = displayName(`${'长'.repeat(300)}.jpeg`, 'x');
  t.equal([...long].length, NAME_MAX);
  t.match(long, /…\.jpeg$/, 'a long name keeps its end');
});

t.test('a download name takes the stored kind’s extension, and the header carries it encoded', async (t) => {
  t.equal(downloadName('invoice.html', KINDS['image/jpeg']), 'invoice.jpg');
  t.equal(downloadName('收据', KINDS['application/pdf']), '收据.pdf');
  t.equal(downloadName('a.b.PNG', KINDS['image/png']), 'a.b.png');
  const header = contentDisposition('收据 "final"; filename=evil.html%0d.jpg');
  t.match(header, /^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/);
  t.notMatch(header.split('; filename*=')[0]!, /"[^"]*"[^"]*"[^"]*"/, 'no quote inside the quoted name');
  t.equal(decodeURIComponent(header.split("UTF-8''")[1]!), '收据 "final"; filename=evil.html%0d.jpg', 'the encoded name is the name');
});
