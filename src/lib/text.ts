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

const WIDE = /[\uFF01-\uFF5E\u3000]/;

/** Full-width digits and signs (１２３，．－) become ASCII; everything else is left as typed. */
export function toHalfWidth(input: string): string {
  if (!WIDE.test(input)) return input;
  return input.replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

/** Digits only, from a string typed with spaces, dashes, dots or full-width characters. */
export function digitsOnly(input: string): string {
  return toHalfWidth(input).replace(/[\s\-‐‑‒–—―_.·・()（）]/g, '');
}

const graphemes = new Intl.Segmenter('zh', { granularity: 'grapheme' });

// Text made only of characters that are each one grapheme and one UTF-16 unit (printable ASCII,
// Latin letters, CJK punctuation and ideographs, full-width forms): no combining mark, joiner,
// surrogate or CR LF pair. Most fields are; segmenting them was 7% of a register import's CPU.
const SIMPLE = /^[\x20-\x7e\u00a0-\u02ff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uffef]*$/;

/** Counts characters the way a person would: a Chinese character, or any emoji, is one. */
export function charLength(text: string): number {
  if (SIMPLE.test(text)) return text.length;
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}
