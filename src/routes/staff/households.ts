import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Campaign, Locale, Localized } from '../../campaign/schema.js';
import { toCsv } from '../../lib/csv.js';
import type { StaffRole } from '../../db/schema.js';
import type { HouseholdFlagKind } from '../../db/schema-households.js';
import { HttpError } from '../../lib/errors.js';
import { registerTable, registerXlsx } from '../../households/export.js';
import { FLAG_KINDS } from '../../households/flags/kinds.js';
import { countFlagsByVillage, findFlags, findHistory, findHousehold, findLinkedLeads, findPayments, listHouseholds, RECHECK_STATES, type RegisterFilter } from '../../households/repository.js';
import { clearFlagSchema, flagParamsSchema, householdIdSchema, registerQuerySchema, revealSchema, type RegisterQuery } from '../../households/schema.js';
import { clearHouseholdFlag, exportRegister, exportRegisterUnmasked, revealIdNumber } from '../../households/service.js';
import type { Translate } from '../../i18n/index.js';
import { findProblemRowsOfHousehold, findRechecksOfHousehold } from '../../rechecks/repository.js';
import { ROUTE_ACCESS } from '../../staff/access.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import { toPage } from '../../db/paging.js';
import type { StaffContext } from './context.js';

// The household register (对象户台账) on the staff side: the list with its flags and exports, a
// household's record, its flags with their reasons in plain words, the audited reveal of an ID
// number. The record form and the standards: ./household-form.ts; the import:
// ./household-import.ts; links to leads: ./household-leads.ts. Who may do what:
// src/staff/access.ts. ID numbers are shown masked everywhere.

const PAGE = 50;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The form's fields as posted: every value a string. */
export type FormValues = Record<string, string>;

/** The name of a campaign list's entry (household type, method, archive item) in the page's language. */
export const listName = (items: Campaign['register']['householdTypes'], key: string, locale: Locale) => items.find((i) => i.key === key)?.name[locale] ?? key;

/** A flag's reason in plain words, from the figures the database kept with it. */
function flagReason(t: Translate, campaign: Campaign, locale: Locale, kind: HouseholdFlagKind, detail: Record<string, unknown>): string {
  const params: Record<string, unknown> = Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, v ?? '—']));
  if (kind === 'archive_missing') {
    params.missing = ((detail.missing as string[]) ?? []).map((k) => listName(campaign.register.archiveItems, k, locale)).join(locale === 'zh-CN' ? '、' : ', ');
  }
  if (kind === 'not_posted') {
    params.levels = [detail.village ? null : t('households.levels.village'), detail.town ? null : t('households.levels.town')].filter(Boolean).join(locale === 'zh-CN' ? '、' : ', ');
  }
  return t(`households.flags.${kind}.reason`, params);
}

/** The list's query as the repository's filter: an unknown flag or re-check state is ignored. */
export function registerFilter(q: RegisterQuery): RegisterFilter {
  const flag = q.flag === 'any' || q.flag === 'none' || FLAG_KINDS.includes(q.flag as HouseholdFlagKind) ? (q.flag as RegisterFilter['flag']) : undefined;
  const recheck = RECHECK_STATES.find((s) => s === q.recheck);
  return Object.fromEntries(Object.entries({ village: q.village, flag, year: q.year, name: q.name, recheck }).filter(([, v]) => v !== undefined));
}

const filterQuery = (f: RegisterFilter) => new URLSearchParams(Object.entries(f).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));

/** The register page's size. */
export const REGISTER_PAGE = PAGE;

type RegisterRows = Awaited<ReturnType<typeof listHouseholds>>;
type VillageCounts = Awaited<ReturnType<typeof countFlagsByVillage>>;

/**
 * The register list's page from its two statements' rows (a page of households, the stored
 * counts per village), labelled as the page shows them; the bench's limit R renders the same.
 */
export function registerView(
  data: { rows: RegisterRows; counts: VillageCounts },
  q: RegisterQuery,
  campaign: Campaign,
  locale: Locale,
  role: StaffRole,
  unmasked: { reason?: string; errors?: FieldError[] } = {},
) {
  const filter = registerFilter(q);
  const villages = campaign.villages.map((v) => {
    const c = data.counts.find((row) => row.village === v.id);
    return {
      id: v.id,
      selected: v.id === q.village,
      households: c?.households ?? 0,
      flagged: c?.flagged ?? 0,
      kinds: FLAG_KINDS.map((kind) => ({ kind, n: c?.kinds[kind] ?? 0 })),
    };
  });
  const page = toPage(data.rows, PAGE, (last) => last.id);
  const query = filterQuery(filter);
  const errors = unmasked.errors ?? [];
  return {
    filters: { ...q, flag: filter.flag },
    canImport: role !== 'viewer',
    canSetStandards: role === 'admin',
    canExportUnmasked: (ROUTE_ACCESS['POST /staff/households/export/unmasked'] as readonly StaffRole[]).includes(role),
    villages,
    kinds: FLAG_KINDS.map((kind) => ({ kind, selected: kind === filter.flag })),
    recheckStates: RECHECK_STATES.map((id) => ({ id, selected: id === filter.recheck })),
    rows: page.rows.map((r) => ({
      ...r,
      type: listName(campaign.register.householdTypes, r.household_type, locale),
      method: listName(campaign.register.methods, r.method, locale),
      flags: r.flags ?? [],
    })),
    exportHref: `/staff/households/export.csv?${query}`,
    exportXlsxHref: `/staff/households/export.xlsx?${query}`,
    // The unmasked export's form carries the filter as it was shown, and its reason when refused.
    exportFilter: [...query].map(([name, value]) => ({ name, value })),
    unmaskedReason: unmasked.reason ?? '',
    errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
    errorList: errors,
    next: page.next ? `/staff/households?${new URLSearchParams([...query, ['before', page.next]])}` : null,
  };
}

export default async function householdRoutes(app: FastifyInstance, ctx: StaffContext) {
  async function renderList(request: FastifyRequest, reply: FastifyReply, q: RegisterQuery, unmasked: { reason?: string; errors?: FieldError[] } = {}) {
    const filter = registerFilter(q);
    const [rows, counts] = await Promise.all([listHouseholds(ctx.db, filter, { before: q.before, size: PAGE }), countFlagsByVillage(ctx.db)]);
    return reply.page('staff/households', {
      title: request.t('households.title'),
      staff: request.staff,
      ...registerView({ rows, counts }, q, ctx.campaign, request.locale, request.staff!.role, unmasked),
    });
  }

  app.get('/households', async (request, reply) => renderList(request, reply, registerQuerySchema.parse(request.query)));

  const exportView = (request: FastifyRequest) => ({ campaign: ctx.campaign, locale: request.locale, t: request.t });

  // The register as CSV or XLSX, ID numbers masked, with the list's filters; every export audited.
  app.get('/households/export.csv', async (request, reply) => {
    const rows = await exportRegister(ctx.db, request.staff!.userId, registerFilter(registerQuerySchema.parse(request.query)), 'csv');
    const body = toCsv(registerTable(rows, (r) => r.id_masked, exportView(request)));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="households.csv"').send(body);
  });

  app.get('/households/export.xlsx', async (request, reply) => {
    const rows = await exportRegister(ctx.db, request.staff!.userId, registerFilter(registerQuerySchema.parse(request.query)), 'xlsx');
    const body = await registerXlsx(registerTable(rows, (r) => r.id_masked, exportView(request)));
    return reply.type(XLSX_TYPE).header('content-disposition', 'attachment; filename="households.xlsx"').send(body);
  });

  // The one export with full ID numbers: admins, by a form with a reason (a link could be followed
  // or prefetched by accident), the reason and the filter on the record, never kept in a cache. An
  // XLSX, not a CSV: a spreadsheet opening a CSV turns 18 digits into a rounded number.
  app.post('/households/export/unmasked', async (request, reply) => {
    const body = (request.body ?? {}) as FormValues;
    const q = registerQuerySchema.parse(body);
    const parsed = revealSchema.safeParse(body);
    if (!parsed.success) return renderList(request, reply.code(400), q, { reason: String(body.reason ?? ''), errors: fieldErrors(parsed.error, request.t) });
    const rows = await exportRegisterUnmasked(ctx.db, ctx.householdKeys, request.staff!.userId, registerFilter(q), parsed.data.reason);
    const file = await registerXlsx(registerTable(rows, (r) => r.id_number, exportView(request)));
    return reply
      .type(XLSX_TYPE)
      .header('cache-control', 'private, no-store')
      .header('content-disposition', `attachment; filename="households-unmasked-${new Date().toISOString().slice(0, 10)}.xlsx"`)
      .send(file);
  });

  async function renderHousehold(request: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FieldError[]; revealed?: string } = {}) {
    const household = await findHousehold(ctx.db, id);
    if (!household) throw new HttpError(404);
    const [payments, flags, history, rechecks, problemRows] = await Promise.all([
      findPayments(ctx.db, id), findFlags(ctx.db, id), findHistory(ctx.db, id), findRechecksOfHousehold(ctx.db, id), findProblemRowsOfHousehold(ctx.db, id),
    ]);
    // Which leads name the household: for those who may open leads (a clerk never learns it).
    const seesLeads = (ROUTE_ACCESS['GET /staff/leads/:id'] as readonly StaffRole[]).includes(request.staff!.role);
    const locale = request.locale;
    const register = ctx.campaign.register;
    const role = request.staff!.role;
    const errors = extra.errors ?? [];
    return reply.page('staff/household', {
      title: `${request.t('households.title')} · ${household.head_name}`,
      staff: request.staff,
      household,
      type: listName(register.householdTypes, household.household_type, locale),
      method: listName(register.methods, household.method, locale),
      archive: register.archiveItems.map((i) => ({ name: i.name[locale], present: (household.archive as Record<string, boolean>)[i.key] === true })),
      payments,
      leads: seesLeads ? await findLinkedLeads(ctx.db, id) : [],
      rechecks: rechecks.map((r) => ({
        ...r,
        differing: Object.entries(r.fields ?? {}).filter(([, same]) => !same).map(([f]) => request.t(`rechecks.fields.${f}`)).join(locale === 'zh-CN' ? '、' : ', '),
      })),
      problemRows,
      flags: flags.map((f) => ({
        ...f,
        reason: flagReason(request.t, ctx.campaign, locale, f.kind, f.detail),
        open: f.resolved_at === null && f.cleared_at === null,
      })),
      history: history.map((h) => ({ ...h, entries: historyEntries(h.changes, request.t, register.archiveItems, locale) })),
      canEdit: role !== 'viewer',
      canReveal: role === 'admin' || role === 'investigator',
      canClear: role === 'admin' || role === 'investigator',
      revealed: extra.revealed,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/households/:id', async (request, reply) => {
    const params = householdIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    return renderHousehold(request, reply, params.data.id);
  });

  // The full ID number: in this response only, with a reason, always on the record.
  app.post('/households/:id/reveal', async (request, reply) => {
    const params = householdIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const parsed = revealSchema.safeParse(request.body);
    if (!parsed.success) return renderHousehold(request, reply.code(400), params.data.id, { errors: fieldErrors(parsed.error, request.t) });
    const revealed = await revealIdNumber(ctx.db, ctx.householdKeys, request.staff!.userId, params.data.id, parsed.data.reason);
    if (revealed === null) throw new HttpError(404);
    return renderHousehold(request, reply, params.data.id, { revealed });
  });

  app.post('/households/:id/flags/:flagId/clear', async (request, reply) => {
    const params = flagParamsSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const parsed = clearFlagSchema.safeParse(request.body);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, request.t).map((e) => ({ ...e, field: `note-${params.data.flagId}` }));
      return renderHousehold(request, reply.code(400), params.data.id, { errors });
    }
    if (!(await clearHouseholdFlag(ctx.db, request.staff!.userId, params.data.id, params.data.flagId, parsed.data.note))) throw new HttpError(409);
    return reply.redirect(`/staff/households/${params.data.id}`, 303);
  });
}

/**
 * A history row's changes in words: each field by its form label (archive items by their name in
 * the campaign file), a yes/no as present/missing, and a record's creation as such.
 */
function historyEntries(changes: Record<string, unknown>, t: Translate, archiveItems: readonly { key: string; name: Localized }[], locale: Locale) {
  const value = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : typeof v === 'boolean' ? t(v ? 'households.present' : 'households.missing') : String(v));
  const label = (field: string) => {
    if (field === 'payments') return t('households.payments');
    const item = field.startsWith('archive.') ? archiveItems.find((i) => `archive.${i.key}` === field) : undefined;
    if (item) return `${t('households.fields.archive')} · ${item.name[locale]}`;
    return t(`households.fields.${field}`);
  };
  return Object.entries(changes).map(([field, change]) =>
    field === 'created'
      ? { field: t('households.historyCreated'), change: '' }
      : { field: label(field), change: Array.isArray(change) ? change.map(value).join(' → ') : value(change) },
  );
}
