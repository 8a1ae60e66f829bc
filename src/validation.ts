import type { z } from 'zod';
import type { Translate } from './i18n/index.js';

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
