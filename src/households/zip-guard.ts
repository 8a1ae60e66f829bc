import { createInflateRaw } from 'node:zlib';
import { ImportFileError } from './import-errors.js';

// An XLSX is a zip, and a zip can declare a few kilobytes that inflate to gigabytes. Before any
// parser touches it, the archive is checked three ways:
//  1. the central directory: the sizes it declares, summed, and their ratio to the compressed ones;
//  2. the local headers, walked the way a streaming unzipper (unzipper.Parse) walks them, must
//     describe the same entries at the same places — otherwise what we checked and what another
//     reader of the same file would parse could differ (a hidden entry inside another one's data);
//  3. every entry is inflated once, counting and discarding, and must not exceed what it declared:
//     the declared sizes are the sender's word, this is the proof.

export const ZIP_LIMITS = { maxUncompressedBytes: 200 * 1024 * 1024, maxRatio: 100, maxEntries: 10_000 };

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_DESCRIPTOR = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
const U32_MAX = 0xffffffff;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

export interface CheckedEntry extends ZipEntry {
  /** The entry's data as the archive stores it (deflated or not). */
  data: Buffer;
}

const malformed = (reason: string) => new ImportFileError('malformed', { reason });

/** The zip64 extra field (0x0001), as unzipper reads it: uncompressed, compressed, offset. */
function zip64(extra: Buffer): { uncompressed?: number; compressed?: number; offset?: number } {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const size = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      const word = (i: number) => (p + 4 + 8 * (i + 1) <= extra.length ? Number(extra.readBigUInt64LE(p + 4 + 8 * i)) : undefined);
      return { uncompressed: word(0), compressed: word(1), offset: word(2) };
    }
    p += 4 + size;
  }
  return {};
}

function need(bytes: Buffer, end: number) {
  if (end > bytes.length) throw malformed('truncated');
}

export function readCentralDirectory(bytes: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (bytes.readUInt32LE(p) === SIG_END) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw malformed('no end of central directory');
  const count = bytes.readUInt16LE(eocd + 10);
  const offset = bytes.readUInt32LE(eocd + 16);
  // 0xFFFF entries or a 4 GB offset means zip64 at the archive level: no spreadsheet of ours needs it.
  if (count === 0xffff || offset === U32_MAX) throw new ImportFileError('zipBomb', { reason: 'zip64' });
  if (count > ZIP_LIMITS.maxEntries) throw new ImportFileError('zipBomb', { reason: 'entries' });
  const entries: ZipEntry[] = [];
  for (let p = offset, i = 0; i < count; i++) {
    need(bytes, p + 46);
    if (bytes.readUInt32LE(p) !== SIG_CENTRAL) throw malformed('central directory');
    const nameLength = bytes.readUInt16LE(p + 28);
    const extraLength = bytes.readUInt16LE(p + 30);
    const commentLength = bytes.readUInt16LE(p + 32);
    need(bytes, p + 46 + nameLength + extraLength + commentLength);
    const extra = zip64(bytes.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    const field = (raw: number, big: number | undefined) => (raw === U32_MAX ? (big ?? Infinity) : raw);
    entries.push({
      name: bytes.toString('utf8', p + 46, p + 46 + nameLength),
      method: bytes.readUInt16LE(p + 10),
      compressedSize: field(bytes.readUInt32LE(p + 20), extra.compressed),
      uncompressedSize: field(bytes.readUInt32LE(p + 24), extra.uncompressed),
      localOffset: field(bytes.readUInt32LE(p + 42), extra.offset),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Each entry's compressed bytes, found by walking the local headers as unzipper does. */
function walkLocalHeaders(bytes: Buffer, entries: ZipEntry[]): Buffer[] {
  const byOffset = new Map(entries.map((e) => [e.localOffset, e]));
  const data: Buffer[] = [];
  let p = 0;
  while (p + 4 <= bytes.length && bytes.readUInt32LE(p) === SIG_LOCAL) {
    need(bytes, p + 30);
    const entry = byOffset.get(p);
    if (!entry || data.length >= entries.length) throw malformed('entry outside the central directory');
    const flags = bytes.readUInt16LE(p + 6);
    const method = bytes.readUInt16LE(p + 8);
    const nameLength = bytes.readUInt16LE(p + 26);
    const extraLength = bytes.readUInt16LE(p + 28);
    const start = p + 30 + nameLength + extraLength;
    need(bytes, start);
    const extra = zip64(bytes.subarray(p + 30 + nameLength, start));
    let compressed = bytes.readUInt32LE(p + 18);
    if (compressed === U32_MAX) compressed = extra.compressed ?? Infinity;
    if (method !== entry.method || bytes.toString('utf8', p + 30, p + 30 + nameLength) !== entry.name) throw malformed('local header');
    // unzipper's rule: the size is known unless bit 3 is set and the local size is 0; then it
    // scans for the data descriptor's signature, so that signature must not occur inside the data.
    const sizeKnown = !(flags & 0x08) || compressed > 0;
    if (sizeKnown && compressed !== entry.compressedSize) throw malformed('local size');
    const end = start + entry.compressedSize;
    need(bytes, end);
    if (sizeKnown) {
      p = end;
    } else {
      if (bytes.indexOf(SIG_DESCRIPTOR, start) !== end) throw malformed('data descriptor');
      p = end + 16;
      need(bytes, p);
    }
    data.push(bytes.subarray(start, end));
  }
  if (data.length !== entries.length || (p + 4 <= bytes.length && bytes.readUInt32LE(p) !== SIG_CENTRAL)) throw malformed('entries');
  return data;
}

async function inflatedSize(data: Buffer, cap: number): Promise<number> {
  const inflater = createInflateRaw();
  inflater.end(data);
  let size = 0;
  try {
    for await (const chunk of inflater) {
      size += (chunk as Buffer).length;
      if (size > cap) break;
    }
  } catch {
    throw malformed('deflate');
  } finally {
    inflater.destroy();
  }
  return size;
}

/** Throws ImportFileError('zipBomb' | 'malformed') unless the archive is safe to stream; returns its entries in archive order. */
export async function guardZip(bytes: Buffer, limits = ZIP_LIMITS): Promise<CheckedEntry[]> {
  const entries = readCentralDirectory(bytes);
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  const compressed = entries.reduce((sum, e) => sum + e.compressedSize, 0);
  if (declared > limits.maxUncompressedBytes) throw new ImportFileError('zipBomb', { reason: 'size' });
  if (declared / Math.max(compressed, 1) > limits.maxRatio) throw new ImportFileError('zipBomb', { reason: 'ratio' });
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  const data = walkLocalHeaders(bytes, sorted);
  const checked: CheckedEntry[] = [];
  for (const [i, entry] of sorted.entries()) {
    const body = data[i]!;
    checked.push({ ...entry, data: body });
    if (entry.method === 0) {
      if (body.length !== entry.uncompressedSize) throw malformed('stored size');
    } else if (entry.method === 8) {
      if ((await inflatedSize(body, entry.uncompressedSize)) > entry.uncompressedSize) throw new ImportFileError('zipBomb', { reason: 'declared' });
    } else {
      throw malformed('compression method');
    }
  }
  return checked;
}
