import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { PDFDocument, PDFName } from 'pdf-lib';
import sharp from 'sharp';
import { unsealBytes } from '../../src/lib/seal.js';
import { deriveKey } from '../../src/lib/secret.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { TEST_SECRET } from './app.js';

// Real files made in the tests (no binary fixtures): photos with GPS and camera details, a PNG
// with text chunks, PDFs with document metadata, and a multipart body to send them in.

export const GPS = { latitude: 29.5628, longitude: 106.5528 };
export const CAMERA = { Make: 'Xiaomi', Model: 'Redmi Note 12', BodySerialNumber: 'SN-8842-1177' };

const dms = (v: number) => {
  const d = Math.floor(v);
  const m = Math.floor((v - d) * 60);
  const s = Math.round(((v - d) * 60 - m) * 60 * 100);
  return `${d}/1 ${m}/1 ${s}/100`;
};

/** A noisy photo (so that it has real content) carrying EXIF: camera, serial, date taken, GPS. */
export async function photoWithGps(opts: { width?: number; height?: number; orientation?: number; format?: 'jpeg' | 'webp' } = {}) {
  const { width = 64, height = 48, orientation = 1, format = 'jpeg' } = opts;
  // Left half red, right half blue: whether the photo was turned shows in where the red ends up.
  const left = await sharp({ create: { width: width / 2, height, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const image = sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .withExif({
      IFD0: { ...CAMERA, DateTime: '2023:05:12 14:30:22' },
      IFD2: { DateTimeOriginal: '2023:05:12 14:30:22' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: dms(GPS.latitude), GPSLongitudeRef: 'E', GPSLongitude: dms(GPS.longitude) },
    })
    .withMetadata({ orientation });
  return format === 'jpeg' ? image.jpeg({ quality: 90 }).toBuffer() : image.webp().toBuffer();
}

/** A PNG with tEXt and zTXt chunks (author, a comment, a location) inserted before IEND. */
export async function pngWithText(): Promise<Buffer> {
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } }).png().toBuffer();
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const text = chunk('tEXt', Buffer.from('Author\0Wang Xiuying', 'latin1'));
  const ztxt = chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.from('GPS 29.5628 106.5528'))]));
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), text, ztxt, png.subarray(iend)]);
}

export const PDF_META = { author: '王秀英', creator: 'WPS Office', producer: 'Huawei Scanner 3.1', title: '收据扫描', subject: '危房补助', keywords: '古路镇' };

/** A one-page PDF with every Info field set, an XMP stream, and a phone photo (EXIF and GPS) on it. */
export async function pdfWithMetadata(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setAuthor(PDF_META.author);
  doc.setCreator(PDF_META.creator);
  doc.setProducer(PDF_META.producer);
  doc.setTitle(PDF_META.title);
  doc.setSubject(PDF_META.subject);
  doc.setKeywords([PDF_META.keywords]);
  doc.setCreationDate(new Date('2023-05-12T06:30:00Z'));
  const xmp = doc.context.stream(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>${PDF_META.author}</dc:creator></x:xmpmeta>`, {
    Type: 'Metadata',
    Subtype: 'XML',
  });
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(xmp));
  const page = doc.addPage([200, 200]);
  // pdf-lib embeds a JPEG as it is, EXIF included, as many "scan to PDF" apps do.
  page.drawImage(await doc.embedJpg(await photoWithGps()), { x: 10, y: 10, width: 100, height: 75 });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

export interface FilePart {
  name: string;
  bytes: Buffer;
  type?: string;
  field?: string;
  /** Header lines sent as they are, in place of the usual ones (for malformed parts). */
  rawHeaders?: string[];
}

/** A multipart/form-data body as a browser sends it: the fields first, then the files. */
export function multipart(fields: Record<string, string>, files: FilePart[] = []) {
  const boundary = `----form${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const f of files) {
    const filename = f.name.replace(/"/g, '%22').replace(/\r|\n/g, ' ');
    const headers = f.rawHeaders ?? [
      `Content-Disposition: form-data; name="${f.field ?? 'files'}"; filename="${filename}"`,
      `Content-Type: ${f.type ?? 'application/octet-stream'}`,
    ];
    parts.push(
      Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`),
      f.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Every stored attachment, opened with the key the app derives from the test secret. */
export async function storedFiles(database: DatabaseHandle) {
  const key = deriveKey(TEST_SECRET, 'attachment-seal');
  const rows = await database.db.selectFrom('attachments').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ ...r, bytes: unsealBytes(key, r.sealed) }));
}
