import type { Campaign } from '../campaign/schema.js';
import type { Translate } from '../i18n/index.js';
import { cleanText } from '../lib/text.js';
import { formString, type FieldError } from '../lib/validation.js';
import { CATEGORIES, currentMonth, FIRST_YEAR, LIMITS, OTHER_VILLAGE, TYPICAL_FORMS } from './schema.js';

// The HTML form's fields, and how they map onto the API's report shape (schema.ts), so that the
// form and the API are validated by the same schema.

export const FORM_FIELDS = [
  'category', 'typicalForm', 'village', 'subject', 'description',
  'periodYear', 'periodMonth', 'amount', 'identity', 'name', 'phone', 'token',
] as const;
export type ReportFormValues = Record<(typeof FORM_FIELDS)[number], string>;

export function readForm(body: unknown): ReportFormValues {
  const b = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(FORM_FIELDS.map((f) => [f, formString(b[f])])) as ReportFormValues;
}

export function formToInput(v: ReportFormValues): Record<string, unknown> {
  const period =
    v.periodYear && v.periodMonth ? `${v.periodYear}-${v.periodMonth}` : v.periodYear || v.periodMonth ? 'incomplete' : undefined;
  return {
    category: v.category || undefined,
    typicalForm: v.typicalForm,
    village: v.village,
    subject: v.subject,
    description: v.description,
    period,
    amount: v.amount,
    // Name and phone are read only when the reporter chose real-name; otherwise they are dropped.
    realName: v.identity === 'real' ? { name: v.name, phone: v.phone } : undefined,
  };
}

/** A name or phone typed while "anonymous" is chosen: ask, rather than silently send or drop it. */
export function identityConflict(v: ReportFormValues): boolean {
  return v.identity !== 'real' && (v.name.trim() !== '' || v.phone.trim() !== '');
}

const FIELD_OF_PATH: Record<string, string> = {
  'realName.name': 'name',
  'realName.phone': 'phone',
  realName: 'name',
  period: 'periodYear',
};

export function formErrors(errors: FieldError[]): FieldError[] {
  return errors.map((e) => ({ ...e, field: FIELD_OF_PATH[e.field] ?? e.field }));
}

/** Everything the form template needs: options, what was typed (made visible-safe), and errors. */
export function reportFormView(campaign: Campaign, t: Translate, values: Partial<ReportFormValues>, errors: FieldError[] = []) {
  const shown = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, cleanText(v ?? '').text])) as Partial<ReportFormValues>;
  const now = currentMonth();
  const years = [];
  for (let y = now.year; y >= FIRST_YEAR; y--) years.push({ value: String(y), selected: shown.periodYear === String(y) });
  return {
    values: { identity: 'anonymous', ...shown },
    errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
    errorList: errors,
    categories: CATEGORIES.map((id) => ({
      id,
      checked: shown.category === id,
      forms: TYPICAL_FORMS[id].map((f) => ({ id: f, label: t(`category.${id}.forms.${f}`), selected: shown.typicalForm === f })),
    })),
    villages: [
      ...campaign.villages.map((v) => ({ id: v.id, name: v.name, selected: shown.village === v.id })),
      { id: OTHER_VILLAGE, other: true, selected: shown.village === OTHER_VILLAGE },
    ],
    years,
    months: Array.from({ length: 12 }, (_, i) => ({ value: String(i + 1), selected: shown.periodMonth === String(i + 1) })),
    realName: shown.identity === 'real',
    limits: LIMITS,
  };
}
