import { createHash } from 'node:crypto';
import type { Metadata, Sharp } from 'sharp';
import type { AttachmentMime } from '../db/schema.js';
import { estimateJpegQuality } from './jpeg-quality.js';
import { detectKind, type Kind } from './kinds.js';
import { displayName } from './names.js';

// Every file is rewritten before anything is stored, so that nothing it carried besides the picture
// or the pages survives: images are decoded and encoded again (EXIF, XMP, IPTC, ICC comments, GPS,
// camera serials, dates taken all stay behind), PDFs are rebuilt (pdf.ts).

/** A file as received: the name the sender gave it and its bytes, untouched. */
export interface Upload {
  name: string;
  bytes: Buffer;
}

/** A file ready to store: the cleaned bytes only. */
export interface CleanFile {
  name: string;
  mime: AttachmentMime;
  bytes: Buffer;
  sha256: Buffer;
}

export type UploadProblem = 'count' | 'size' | 'total' | 'kind' | 'heic' | 'pixels' | 'damaged' | 'encrypted' | 'unreadable';

export class UploadRejected extends Error {
  constructor(
    readonly problem: UploadProblem,
    /** The file concerned (its display name), when there is one. */
    readonly file?: string,
  ) {
    super(`upload rejected: ${problem}`);
  }
}

export const PROBLEM_STATUS: Record<UploadProblem, number> = {
  count: 413,
  size: 413,
  total: 413,
  pixels: 413,
  kind: 415,
  heic: 415,
  encrypted: 415,
  damaged: 400,
  unreadable: 400,
};

// A 40-megapixel photo is larger than any phone takes by default; a header claiming more is refused
// before any pixel is decoded (a "decompression bomb" fits in a few kilobytes).
export const MAX_PIXELS = 40_000_000;

// sharp (libvips) and pdf-lib weigh ~30 MB once loaded: they are loaded with the first file, not
// by every instance at start. libvips keeps a cache of operations and their pixels between jobs,
// useless here (no file is ever processed twice); one thread per image, as the pixel budget below
// sets how many run at once.
let sharpModule: Promise<typeof import('sharp').default> | undefined;
function loadSharp() {
  sharpModule ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return sharpModule;
}

/**
 * Decoding is what takes memory: turning a 12-megapixel photo upright holds all its pixels, ~60 MB
 * with the encoder's. So this process decodes one such photo at a time (smaller ones may share the
 * budget; a larger one runs alone), whatever the number of uploads in flight: ten 3 MB photos
 * sent at once added 165 MB to the app's RSS when two were decoded at a time, 100 MB with one
 * (npm run bench).
 */
class PixelBudget {
  private used = 0;
  private readonly waiting: { weight: number; start: () => void }[] = [];
  constructor(private readonly size: number) {}

  async run<T>(pixels: number, job: () => Promise<T>): Promise<T> {
    const weight = Math.min(pixels, this.size);
    if (this.used + weight > this.size || this.waiting.length > 0) {
      await new Promise<void>((start) => this.waiting.push({ weight, start }));
    } else {
      this.used += weight;
    }
    try {
      return await job();
    } finally {
      this.used -= weight;
      // First come, first served: a large job waiting is not overtaken by smaller ones.
      while (this.waiting.length > 0 && this.used + this.waiting[0]!.weight <= this.size) {
        const next = this.waiting.shift()!;
        this.used += next.weight;
        next.start();
      }
    }
  }
}

const decoding = new PixelBudget(12_000_000);
// A PDF is not decoded to pixels; pdf-lib's share of memory is bounded by pdf.ts's decode budget.
const PDF_WEIGHT = 12_000_000;

// A JPEG is encoded again at the quality it came with (jpeg-quality.ts), within these bounds: above
// 90 a re-encoded photo grows with no detail gained, and below 50 the copy would show the new
// encoder's blocks on top of the old ones'. Anything that says no quality gets the upper bound.
const JPEG_QUALITY = { min: 50, max: 90 } as const;

const ENCODE = {
  'image/jpeg': (image: Sharp, source: Buffer) => {
    const quality = Math.min(JPEG_QUALITY.max, Math.max(JPEG_QUALITY.min, estimateJpegQuality(source) ?? JPEG_QUALITY.max));
    return image.jpeg({ quality, optimiseCoding: false });
  },
  'image/png': (image: Sharp) => image.png(),
  'image/webp': (image: Sharp) => image.webp({ quality: 90 }),
} as const;

async function cleanImage(bytes: Buffer, kind: Kind, name: string): Promise<Buffer> {
  const sharp = await loadSharp();
  const options = { limitInputPixels: MAX_PIXELS, failOn: 'error', animated: false } as const;
  const rejected = (err: unknown) => new UploadRejected(/pixel limit/i.test((err as Error).message) ? 'pixels' : 'damaged', name);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, options).metadata();
  } catch (err) {
    throw rejected(err);
  }
  // libvips sniffs the format itself: it must agree with what the bytes were taken for.
  if (`image/${meta.format}` !== kind.mime) throw new UploadRejected('kind', name);
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > MAX_PIXELS) throw new UploadRejected('pixels', name);
  return decoding.run(pixels, async () => {
    try {
      // rotate() with no angle applies the EXIF orientation, so the photo still looks right once
      // the EXIF that said how to turn it is gone; the output keeps no metadata (sharp's default).
      return await ENCODE[kind.mime as keyof typeof ENCODE](sharp(bytes, options).rotate(), bytes).toBuffer();
    } catch (err) {
      throw rejected(err);
    }
  });
}

async function cleanPdfUpload(bytes: Buffer, name: string): Promise<Buffer> {
  const { cleanPdf, PdfRejected } = await import('./pdf.js');
  try {
    return await cleanPdf(bytes);
  } catch (err) {
    if (!(err instanceof PdfRejected)) throw err;
    // A decompression bomb is told apart from a damaged file nowhere but in this comment.
    throw new UploadRejected(err.reason === 'encrypted' ? 'encrypted' : 'damaged', name);
  }
}

/** The kind of each upload, from its bytes; throws for the first that is not accepted. Cheap. */
export async function checkKinds(uploads: Upload[]): Promise<Kind[]> {
  const kinds: Kind[] = [];
  for (const upload of uploads) {
    const detected = await detectKind(upload.bytes);
    if (!detected.ok) throw new UploadRejected(detected.problem, displayName(upload.name, '—'));
    kinds.push(detected.kind);
  }
  return kinds;
}

/** Every upload rewritten without its metadata, or UploadRejected for the first that cannot be. */
export async function cleanUploads(uploads: Upload[]): Promise<CleanFile[]> {
  const kinds = await checkKinds(uploads);
  const files: CleanFile[] = [];
  for (const [i, upload] of uploads.entries()) {
    const kind = kinds[i]!;
    const name = displayName(upload.name, `${i + 1}.${kind.extension}`);
    const bytes = kind.image
      ? await cleanImage(upload.bytes, kind, name)
      : await decoding.run(PDF_WEIGHT, () => cleanPdfUpload(upload.bytes, name));
    files.push({ name, mime: kind.mime, bytes, sha256: createHash('sha256').update(bytes).digest() });
  }
  return files;
}
