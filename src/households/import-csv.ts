import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ImportFileError } from './import-errors.js';
import type { Cell } from './import-layout.js';

// A CSV as villages save it: Excel on Chinese Windows writes GB18030 (GBK) unless told otherwise,
// WPS and LibreOffice UTF-8 with or without a BOM, "Unicode text" is UTF-16 with tabs. Comma or
// tab separated, decided from the first lines. Decoded and parsed in chunks: rows leave one by one.

export interface SourceRow {
  /** The row number a spreadsheet shows (1-based). */
  row: number;
  cells: Cell[];
}

const CHUNK = 64 * 1024;
const MAX_RECORD_CHARS = 200_000;

export function csvEncoding(bytes: Buffer): { encoding: string; skip: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  // Valid UTF-8 is almost never valid-looking GBK by accident, and the reverse fails the check.
  return { encoding: isUtf8(bytes) ? 'utf-8' : 'gb18030', skip: 0 };
}

function* decodedChunks(bytes: Buffer, encoding: string, skip: number): Generator<string> {
  const decoder = new TextDecoder(encoding);
  for (let p = skip; p < bytes.length; p += CHUNK) yield decoder.decode(bytes.subarray(p, p + CHUNK), { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * Tab or comma: the one under which a line of the first ten names the most known columns
 * (`score`), and failing that the one the first line holds more of.
 */
export function detectDelimiter(head: string, score: (cells: string[]) => number): ',' | '\t' | ';' {
  const lines = head.split(/\r?\n/).slice(0, 10);
  const candidates = [',', '\t', ';'] as const;
  let best: (typeof candidates)[number] = ',';
  let bestScore = 0;
  for (const d of candidates) {
    const s = Math.max(0, ...lines.map((l) => score(l.split(d).map((c) => c.trim().replace(/^"|"$/g, '')))));
    if (s > bestScore) [best, bestScore] = [d, s];
  }
  if (bestScore > 0) return best;
  const first = lines[0] ?? '';
  return (first.match(/\t/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? '\t' : ',';
}

export async function* csvRows(bytes: Buffer, score: (cells: string[]) => number): AsyncGenerator<SourceRow> {
  const { encoding, skip } = csvEncoding(bytes);
  const head = new TextDecoder(encoding).decode(bytes.subarray(skip, skip + CHUNK));
  const parser = parse({
    delimiter: detectDelimiter(head, score),
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_CHARS,
  });
  const input = Readable.from(decodedChunks(bytes, encoding, skip));
  input.pipe(parser);
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) yield { row: ++row, cells: record };
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError('malformed', { row: row + 1, reason: (err as { code?: string }).code ?? 'csv' });
  } finally {
    input.destroy();
    parser.destroy();
  }
}
