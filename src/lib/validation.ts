import type { z } from 'zod';
import type { Translate } from '../i18n/index.js';

export interface FieldError {
  field: string;
  /** Stable machine-readable code, e.g. "text.tooShort". */
  code: string;
  message: string;
}

/** zod issues → one error per field (the first), messages in the user's language. */
export function fieldErrors(error: z.ZodError, t: Translate): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const field = issue.path.join('.') || '_';
    if (seen.has(field)) continue;
    seen.add(field);
    // Messages we set are catalog keys; anything else (a type mismatch zod reports itself) is generic.
    const key = issue.message.startsWith('errors.') ? issue.message : 'errors.invalid';
    const params = (issue as { params?: Record<string, unknown> }).params ?? {};
    out.push({ field, code: key.slice('errors.'.length), message: t(key, params) });
  }
  return out;
}

/** The first value of a form field (a field repeated in the body counts once), or ''. */
export function formString(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : '';
}

/**
 * An urlencoded body decoded the way browsers decode forms (WHATWG): invalid UTF-8 such as %FF
 * becomes U+FFFD, which cleanText reports, where the default parser would pass "%FF" on as text.
 * A repeated field becomes an array (formString reads its first value).
 */
export function parseFormBody(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of body.includes('%') ? new URLSearchParams(body) : plainFields(body)) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

/**
 * The fields of a body without a percent-escape, as URLSearchParams reads them (+ is a space): a
 * status lookup's code arrives like this, and URLSearchParams costs more than the rest of reading
 * the form (docs/PERFORMANCE.md).
 */
function plainFields(body: string): [string, string][] {
  const fields: [string, string][] = [];
  for (const part of body.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const [key, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    fields.push([key.replaceAll('+', ' '), value.replaceAll('+', ' ')]);
  }
  return fields;
}
