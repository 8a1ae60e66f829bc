// A small streaming XML scanner for the few parts of an XLSX the import reads. It reports start
// tags (name without namespace prefix, raw attribute text, self-closing or not), end tags and text;
// comments, processing instructions and the doctype are skipped, CDATA is text. No entity other
// than the five predefined ones and character references is ever expanded (no DTD is read), so
// a crafted part cannot make it grow. Text is handed over raw: the caller decodes what it keeps.

export interface XmlHandler {
  open(name: string, attrs: string, selfClosing: boolean): void;
  close(name: string): void;
  /** Raw character data (entities not decoded); `cdata` when it came from a CDATA section. */
  text(raw: string, cdata: boolean): void;
}

export class XmlSyntaxError extends Error {}

/**
 * The most an unfinished tag, comment or CDATA section may hold while the rest of it is awaited:
 * text is reported as it comes, so only these wait, and a part made of one endless tag would
 * otherwise be scanned again with every chunk.
 */
export const MAX_PENDING = 1024 * 1024;

// From just after '<' to the '>' that ends the tag, quoted attribute values may hold '>'.
const TAG_END = /[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>/y;

const localName = (qname: string) => {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
};

export class XmlScanner {
  private buf = '';

  constructor(private readonly handler: XmlHandler) {}

  /** Feeds decoded text; everything complete in it is reported before this returns. */
  write(chunk: string): void {
    const buf = this.buf.length > 0 ? this.buf + chunk : chunk;
    const h = this.handler;
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) {
        // Text up to the end: report it, nothing of it can be part of a tag.
        h.text(buf.slice(pos), false);
        pos = end;
        break;
      }
      if (lt > pos) h.text(buf.slice(pos, lt), false);
      pos = lt;
      if (lt + 1 >= end) break;
      const next = buf.charCodeAt(lt + 1);
      if (next === 0x2f /* / */) {
        const gt = buf.indexOf('>', lt + 2);
        if (gt < 0) break;
        h.close(localName(buf.slice(lt + 2, gt).trim()));
        pos = gt + 1;
      } else if (next === 0x3f /* ? */) {
        const stop = buf.indexOf('?>', lt + 2);
        if (stop < 0) break;
        pos = stop + 2;
      } else if (next === 0x21 /* ! */) {
        if (buf.startsWith('<!--', lt)) {
          const stop = buf.indexOf('-->', lt + 4);
          if (stop < 0) break;
          pos = stop + 3;
        } else if (buf.startsWith('<![CDATA[', lt)) {
          const stop = buf.indexOf(']]>', lt + 9);
          if (stop < 0) break;
          h.text(buf.slice(lt + 9, stop), true);
          pos = stop + 3;
        } else if (end - lt < 9) {
          break; // not yet known which
        } else {
          // <!DOCTYPE …>, with an internal subset in brackets or not: skipped, never applied.
          const bracket = buf.indexOf('[', lt);
          const gt = buf.indexOf('>', lt);
          if (gt < 0) break;
          if (bracket >= 0 && bracket < gt) {
            const stop = buf.indexOf(']', bracket);
            const close = stop < 0 ? -1 : buf.indexOf('>', stop);
            if (close < 0) break;
            pos = close + 1;
          } else {
            pos = gt + 1;
          }
        }
      } else {
        TAG_END.lastIndex = lt + 1;
        if (!TAG_END.test(buf)) break;
        const gt = TAG_END.lastIndex - 1;
        const selfClosing = buf.charCodeAt(gt - 1) === 0x2f;
        const inner = buf.slice(lt + 1, selfClosing ? gt - 1 : gt);
        let n = 0;
        while (n < inner.length) {
          const c = inner.charCodeAt(n);
          if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
          n++;
        }
        const name = localName(inner.slice(0, n));
        if (name === '') throw new XmlSyntaxError('empty tag name');
        h.open(name, inner.slice(n), selfClosing);
        if (selfClosing) h.close(name);
        pos = gt + 1;
      }
    }
    this.buf = pos < end ? buf.slice(pos) : '';
    if (this.buf.length > MAX_PENDING) throw new XmlSyntaxError('tag too long');
  }

  /** The end of the part: an unfinished tag is an error. */
  end(): void {
    if (this.buf.trim() !== '') throw new XmlSyntaxError('unexpected end of part');
    this.buf = '';
  }
}

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Character data as XML gives it: line ends normalised, the predefined entities and character references decoded. */
export function xmlText(raw: string): string {
  const text = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
    if (named) return NAMED[named]!;
    const code = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

const ATTR = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The attributes of a start tag, by name without namespace prefix (an `r:id` is `id`… unless the plain name is there too). */
export function attributes(raw: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of raw.matchAll(ATTR)) {
    const value = xmlText(m[2] ?? m[3] ?? '');
    const name = m[1]!;
    map.set(name, value);
    const local = localName(name);
    if (local !== name && !map.has(local)) map.set(local, value);
  }
  return map;
}

/** One attribute's value from raw attribute text, found without building the whole map (the sheet's hot path). */
export function attribute(raw: string, name: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = raw.indexOf(name, from);
    if (at < 0) return undefined;
    from = at + name.length;
    const before = at === 0 ? 0x20 : raw.charCodeAt(at - 1);
    if (before !== 0x20 && before !== 0x09 && before !== 0x0a && before !== 0x0d) continue;
    let p = from;
    while (raw.charCodeAt(p) === 0x20) p++;
    if (raw.charCodeAt(p) !== 0x3d /* = */) continue;
    p++;
    while (raw.charCodeAt(p) === 0x20) p++;
    const quote = raw[p];
    if (quote !== '"' && quote !== "'") return undefined;
    const close = raw.indexOf(quote, p + 1);
    if (close < 0) return undefined;
    const value = raw.slice(p + 1, close);
    return value.includes('&') ? xmlText(value) : value;
  }
}
