import type { FastifyInstance } from 'fastify';
import { AUDIT_ACTIONS, auditQuerySchema, viewAuditLog, type AuditQuery } from '../../audit/service.js';
import type { Locale } from '../../campaign/schema.js';
import type { Translate } from '../../i18n/index.js';
import { fieldErrors } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

const timeFormats: Record<Locale, Intl.DateTimeFormat> = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Asia/Shanghai' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Asia/Shanghai' }),
};

/** The catalog's name for an action, or the action itself where the catalog has none yet. */
function actionLabel(t: Translate, action: string): string {
  const key = `staff.audit.actions.${action.replace(/\./g, '_')}`;
  const label = t(key);
  return label === key ? action : label;
}

const FILTERS = ['action', 'actor', 'lead', 'from', 'to'] as const;

// The audit log browser, for admins only.
export default async function auditRoutes(app: FastifyInstance, ctx: StaffContext) {
  app.get('/audit', async (request, reply) => {
    const t = request.t;
    const raw = request.query as Record<string, unknown>;
    const parsed = auditQuerySchema.safeParse(raw);
    const q: AuditQuery = parsed.success ? parsed.data : {};
    // A successful view is recorded (src/audit/service.ts); a refused filter reads nothing.
    const page = parsed.success ? await viewAuditLog(ctx.db, request.staff!, q) : { rows: [], next: null };
    const filters = Object.fromEntries(FILTERS.map((k) => [k, typeof raw[k] === 'string' ? raw[k] : '']));
    const kept = new URLSearchParams(FILTERS.filter((k) => q[k] !== undefined).map((k) => [k, String(q[k])]));
    if (page.next) kept.set('after', page.next);
    const errors = parsed.success ? [] : fieldErrors(parsed.error, t);
    return reply.code(parsed.success ? 200 : 400).page('staff/audit', {
      title: t('staff.audit.title'),
      staff: request.staff,
      filters,
      actions: AUDIT_ACTIONS.map((a) => ({ id: a, label: actionLabel(t, a), selected: a === q.action })),
      rows: page.rows.map((r) => ({
        ...r,
        atIso: r.at.toISOString(),
        atText: timeFormats[request.locale].format(r.at),
        label: actionLabel(t, r.action),
        detail: Object.entries(r.detail ?? {}).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
      })),
      nextHref: page.next ? `/staff/audit?${kept}` : null,
      firstHref: q.after ? `/staff/audit?${new URLSearchParams([...kept].filter(([k]) => k !== 'after'))}` : null,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  });
}
