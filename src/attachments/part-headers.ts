// A second look at a multipart body's part headers, beside the parser (busboy), which passes over
// what it cannot use without a word: header lines past its limits are dropped and the part kept, and
// a part whose header holds a bare CR (a file name with a carriage return) is skipped whole, so a
// photo a villager sent could vanish from the report while the receipt said nothing (the security
// review). This watch sees the same bytes and tells the reader what the parser did not.

export interface PartHeaderLimits {
  /** Header lines per part (a browser sends two or three). */
  maxLines: number;
  /** Bytes of one part's header block. */
  maxBytes: number;
}

const CRLF = Buffer.from('\r\n');

export class PartHeaderWatch {
  /** Header blocks seen, i.e. parts the body holds. */
  parts = 0;
  /** A part's header block passed a limit. */
  tooLarge = false;
  /** A part's header block held a bare CR or LF: the parser cannot read that part. */
  malformed = false;
  private readonly delimiter: Buffer;
  // Bytes not yet looked at: a delimiter or a line end may be cut between two chunks.
  private pending: Buffer = CRLF;
  // In a part's header block: how far it has got; null while in a part's content.
  private header: { lines: number; bytes: number } | null = null;
  private done = false;

  constructor(
    boundary: string,
    private readonly limits: PartHeaderLimits,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (!this.header) {
        const at = data.indexOf(this.delimiter, pos);
        if (at < 0) {
          this.pending = data.subarray(Math.max(pos, data.length - this.delimiter.length + 1));
          return;
        }
        pos = at + this.delimiter.length;
        // The delimiter line's rest, then the header lines (counted from 1).
        this.header = { lines: -1, bytes: 0 };
      }
      const eol = data.indexOf(CRLF, pos);
      if (eol < 0) {
        this.pending = data.subarray(pos);
        if (this.header.bytes + this.pending.length > this.limits.maxBytes) this.stop('tooLarge');
        return;
      }
      const line = data.subarray(pos, eol);
      pos = eol + 2;
      this.header.lines += 1;
      if (this.header.lines === 0) {
        // "--boundary--" closes the body: what follows is an epilogue, never read.
        if (line.subarray(0, 2).toString() === '--') return this.stop();
        continue;
      }
      this.header.bytes += line.length + 2;
      if (line.length === 0) {
        this.parts += 1;
        this.header = null;
        continue;
      }
      if (line.includes(0x0d) || line.includes(0x0a)) this.malformed = true;
      if (this.header.lines > this.limits.maxLines || this.header.bytes > this.limits.maxBytes) return this.stop('tooLarge');
    }
  }

  private stop(reason?: 'tooLarge'): void {
    if (reason) this.tooLarge = true;
    this.done = true;
    this.pending = Buffer.alloc(0);
  }
}

/** The boundary of a multipart/form-data content type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]!) : null;
}
