import { AsyncLocalStorage } from 'node:async_hooks';
import {
  decodePDFRawStream,
  PDFArray,
  PDFContext,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFRawStream,
  PDFRef,
  PDFStream,
  type PDFObject,
} from 'pdf-lib';

// A PDF is rebuilt rather than edited: its pages are copied into a new document, which brings only
// what the pages use. The document information (Author, Creator, Producer, Title, Subject,
// Keywords, dates), the catalog's XMP stream, the file identifier, outlines, forms, scripts and
// embedded files stay behind. What remains is then cleared of XMP streams and application data
// attached to pages and images, of actions that run on opening a page, and of EXIF/XMP/IPTC
// segments inside embedded JPEG photos (a PDF made from a phone photo often carries its GPS).

export class PdfRejected extends Error {
  constructor(readonly reason: 'encrypted' | 'damaged' | 'bomb') {
    super(`PDF rejected: ${reason}`);
  }
}

// pdf-lib inflates object and cross-reference streams without any limit: a 300 KB file can ask for
// half a gigabyte. Every buffer its decoders grow is charged to the document being read (through
// AsyncLocalStorage, so documents read at the same time are charged separately), and reading stops
// once a document has used its budget.
const DECODE_BUDGET = 64 * 1024 * 1024;
const budget = new AsyncLocalStorage<{ left: number }>();
interface DecodeStreamLike {
  buffer: Uint8Array;
  minBufferLength: number;
  ensureBuffer(requested: number): Uint8Array;
}
// The decoders' base class is not exported: reach it through a decoder made by pdf-lib itself, so
// that it is the very class pdf-lib's parser uses, however the module was loaded.
const probe = decodePDFRawStream(PDFContext.create().stream('', { Filter: 'ASCIIHexDecode' }));
const DecodeStream = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as DecodeStreamLike;
if (!Object.hasOwn(DecodeStream, 'ensureBuffer')) throw new Error('pdf-lib changed: DecodeStream.ensureBuffer not found');
const ensureBuffer = DecodeStream.ensureBuffer;
DecodeStream.ensureBuffer = function (this: DecodeStreamLike, requested: number) {
  const account = budget.getStore();
  if (account && requested > this.buffer.byteLength) {
    // The size the original is about to allocate (it doubles from minBufferLength).
    let size = this.minBufferLength;
    while (size < requested) size *= 2;
    account.left -= size;
    if (account.left < 0) throw new PdfRejected('bomb');
  }
  return ensureBuffer.call(this, requested);
};

const DROPPED_KEYS = ['Metadata', 'PieceInfo', 'AA'].map((k) => PDFName.of(k));
const DCT = PDFName.of('DCTDecode');
const FILTER = PDFName.of('Filter');

export async function cleanPdf(bytes: Buffer): Promise<Buffer> {
  const account = { left: DECODE_BUDGET };
  const load = () => PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
  const source = await budget.run(account, load).catch(() => null);
  // pdf-lib skips an object it fails to read, the budget's refusal included: it is checked here.
  if (account.left < 0) throw new PdfRejected('bomb');
  if (!source) throw new PdfRejected('damaged');
  // Encrypted content cannot be copied out readable; what could be would still be encrypted.
  if (source.isEncrypted) throw new PdfRejected('encrypted');
  if (source.getPageCount() === 0) throw new PdfRejected('damaged');
  const out = await PDFDocument.create({ updateMetadata: false });
  try {
    for (const page of await out.copyPages(source, source.getPageIndices())) out.addPage(page);
  } catch {
    throw new PdfRejected('damaged');
  }
  scrub(out);
  return Buffer.from(await out.save({ updateFieldAppearances: false }));
}

function scrub(doc: PDFDocument) {
  const context = doc.context;
  for (const [ref, object] of context.enumerateIndirectObjects()) {
    const dict = object instanceof PDFDict ? object : object instanceof PDFStream ? object.dict : undefined;
    for (const key of DROPPED_KEYS) dict?.delete(key);
    if (object instanceof PDFRawStream && isJpeg(object.dict.get(FILTER))) {
      context.assign(ref, PDFRawStream.of(object.dict, stripJpegMetadata(object.contents)));
    }
  }
  // Whatever only the dropped entries referred to would still be written out: keep only what the
  // document can reach.
  const reachable = new Set<PDFRef>();
  const visit = (value: PDFObject | undefined) => {
    if (value instanceof PDFRef) {
      if (reachable.has(value)) return;
      reachable.add(value);
      visit(context.lookup(value));
    } else if (value instanceof PDFDict) {
      for (const v of value.values()) visit(v);
    } else if (value instanceof PDFStream) {
      visit(value.dict);
    } else if (value instanceof PDFArray) {
      for (const v of value.asArray()) visit(v);
    }
  };
  visit(context.trailerInfo.Root);
  for (const [ref] of context.enumerateIndirectObjects()) if (!reachable.has(ref)) context.delete(ref);
}

function isJpeg(filter: PDFObject | undefined): boolean {
  return filter === DCT || (filter instanceof PDFArray && filter.size() === 1 && filter.get(0) === DCT);
}

// JPEG segments kept: APP0 (JFIF), APP14 (Adobe colour transform) and everything that describes the
// picture itself. Dropped: APP1 (EXIF, XMP), APP2 (ICC profile: a PDF gives the colour space in the
// image's dictionary), APP3–APP13 and APP15 (maker notes, IPTC), COM (comments).
const KEEP_APP = new Set([0xe0, 0xee]);

/** The JPEG without its metadata segments; anything that does not parse as JPEG is returned as is. */
export function stripJpegMetadata(jpeg: Uint8Array): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  const kept: Uint8Array[] = [jpeg.subarray(0, 2)];
  let pos = 2;
  while (pos + 4 <= jpeg.length) {
    if (jpeg[pos] !== 0xff) return jpeg;
    const marker = jpeg[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    // Start of scan: the picture data follows to the end.
    if (marker === 0xda) break;
    const length = (jpeg[pos + 2]! << 8) | jpeg[pos + 3]!;
    const isApp = marker >= 0xe0 && marker <= 0xef;
    if (!(marker === 0xfe || (isApp && !KEEP_APP.has(marker)))) kept.push(jpeg.subarray(pos, pos + 2 + length));
    pos += 2 + length;
  }
  kept.push(jpeg.subarray(pos));
  return Buffer.concat(kept);
}
