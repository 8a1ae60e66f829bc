// Input hygiene shared by every form and API field.

// Invisible characters that can hide or reorder text in a staff member's view: C0/C1 controls
// (except tab and newline), zero-width spaces, and bidirectional marks, overrides and isolates.
// The zero-width (non-)joiners stay: emoji such as 👨‍👩‍👧 are built with them.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export interface CleanText {
  text: string;
  /** True when invisible characters were removed: the caller asks the user to check the result. */
  stripped: boolean;
  /** True when the input held a replacement character, i.e. it arrived as invalid UTF-8. */
  undecodable: boolean;
}

export function cleanText(input: string): CleanText {
  const normalized = input.replace(/\r\n?/g, '\n');
  const text = normalized.replace(INVISIBLE, '');
  return { text: text.trim(), stripped: text !== normalized, undecodable: text.includes('\uFFFD') };
}

/** Full-width digits and signs (１２３，．－) become ASCII; everything else is left as typed. */
export function toHalfWidth(input: string): string {
  return input.replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

/** Digits only, from a string typed with spaces, dashes, dots or full-width characters. */
export function digitsOnly(input: string): string {
  return toHalfWidth(input).replace(/[\s\-‐‑‒–—―_.·・()（）]/g, '');
}

const graphemes = new Intl.Segmenter('zh', { granularity: 'grapheme' });

/** Counts characters the way a person would: a Chinese character, or any emoji, is one. */
export function charLength(text: string): number {
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}
