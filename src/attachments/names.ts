import type { Kind } from './kinds.js';

// A file's name as sent is only ever display text: cleaned of what could mislead a reader or a
// program (control and bidirectional characters, path parts), shortened, and never used as a path.
// Downloads get a name built from it, encoded for the header, with the extension of the stored kind.

export const NAME_MAX = 120;

// C0/C1 controls, bidi embeddings/overrides/isolates and marks, zero-width characters, the BOM,
// line and paragraph separators, and the Unicode "tag" characters.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

export function displayName(raw: string, fallback: string): string {
  // Only the last path part: "C:\\Users\\wang\\收据.jpg" and "../../x.jpg" both end in their file name.
  const base = raw.normalize('NFC').replace(INVISIBLE, '').split(/[\\/]/).pop()!;
  const trimmed = base.replace(/^[\s.]+|\s+$/g, '').replace(/\s+/g, ' ');
  const chars = [...trimmed];
  if (chars.length === 0) return fallback;
  if (chars.length <= NAME_MAX) return trimmed;
  // Keep the end, where the extension is.
  const ext = /\.[\w]{1,8}$/.exec(trimmed)?.[0] ?? '';
  return chars.slice(0, NAME_MAX - 1 - ext.length).join('') + '…' + ext;
}

/** The name a download is saved under: the display name with the stored kind's extension. */
export function downloadName(name: string, kind: Kind): string {
  const stem = name.replace(/\.[\w]{1,8}$/, '') || 'file';
  return `${stem}.${kind.extension}`;
}

/**
 * Content-Disposition for a download (RFC 6266): an ASCII-only fallback name for old clients and
 * the real one percent-encoded as UTF-8 (RFC 5987). Nothing of the name reaches the header raw.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
