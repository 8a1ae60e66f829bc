import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../../csv.js';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { registerTable, registerXlsx } from '../../households/export.js';
import { fileURLToPath } from 'node:url';
import type { Campaign, Locale } from '../../campaign.js';
import type { StaffRole } from '../../db/schema.js';
import type { HouseholdFlagKind } from '../../db/schema-households.js';
import { HttpError } from '../../errors.js';
import { FLAG_KINDS } from '../../households/flags.js';
import { countFlagsByVillage, findFlags, findHistory, findHousehold, findPayments, listHouseholds, listStandards, findLinkedHouseholds, findLinkedLeads, searchHouseholds, RECHECK_STATES, type RegisterFilter, type StoredHousehold } from '../../households/repository.js';
import { clearFlagSchema, flagParamsSchema, householdIdSchema, importIdSchema, linkQuerySchema, makeHouseholdSchema, makeStandardSchema, MAX_PAYMENTS, registerQuerySchema, revealSchema, type RegisterQuery } from '../../households/schema.js';
import { DEFAULT_IMPORT_LIMITS, ImportFileError } from '../../households/import-file.js';
import { addStandard, clearHouseholdFlag, exportRegister, exportRegisterUnmasked, linkLead, unlinkLead, commitPreviewedImport, discardImport, flagSettings, previewImport, removeStandard, revealIdNumber, saveHousehold, currentIdNumber } from '../../households/service.js';
import type { Translate } from '../../i18n/index.js';
import { findLead } from '../../leads/repository.js';
import { problemRowsOfHousehold, rechecksOfHousehold } from '../../rechecks/repository.js';
import { ROUTE_ACCESS } from '../../staff/access.js';
import { fieldErrors, type FieldError } from '../../validation.js';
import type { StaffContext } from './index.js';

// The household register (对象户台账) on the staff side: the list with its flags, a household's
// record, its flags with their reasons in plain words, the audited reveal of an ID number. Who may
// do what: src/staff/access.ts. ID numbers are shown masked everywhere.

const PAGE = 50;
const SAMPLES = fileURLToPath(new URL('../../../docs/samples/', import.meta.url));
const SAMPLE_TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } as const;

interface UploadedFile {
  name: string;
  bytes: Buffer;
  truncated: boolean;
}

const listName = (items: Campaign['register']['householdTypes'], key: string, locale: Locale) => items.find((i) => i.key === key)?.name[locale] ?? key;

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
function registerFilter(q: RegisterQuery): RegisterFilter {
  const flag = q.flag === 'any' || q.flag === 'none' || FLAG_KINDS.includes(q.flag as HouseholdFlagKind) ? (q.flag as RegisterFilter['flag']) : undefined;
  const recheck = RECHECK_STATES.find((s) => s === q.recheck);
  return Object.fromEntries(Object.entries({ village: q.village, flag, year: q.year, name: q.name, recheck }).filter(([, v]) => v !== undefined));
}

const TEXT_FIELDS = [
  'villageGroup', 'headName', 'idNumber', 'phone', 'programmeYear', 'approvedYuan', 'acceptedOn',
  'postedVillageFrom', 'postedVillageTo', 'postedTownFrom', 'postedTownTo', 'proxyReason',
] as const;
const NUMERIC = new Set(['programmeYear', 'approvedYuan']);
const PAYMENT_PARTS = ['paidOn', 'amountYuan', 'payeeName', 'channel'] as const;
type FormValues = Record<string, string>;

/** The form's flat fields (archive.<item>, payments.<n>.<part>) as the record schema takes them. */
function formToRaw(body: FormValues, campaign: Campaign): Record<string, unknown> {
  const payments = [];
  for (let n = 0; n < MAX_PAYMENTS; n++) {
    const p = Object.fromEntries(PAYMENT_PARTS.map((part) => [part, body[`payments.${n}.${part}`] ?? '']));
    if (Object.values(p).some((v) => v.trim() !== '')) payments.push(p);
  }
  return {
    ...Object.fromEntries(['village', 'householdType', 'dangerGrade', 'method', ...TEXT_FIELDS].map((f) => [f, body[f] ?? ''])),
    archive: Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, body[`archive.${i.key}`] ? '有' : '无'])),
    payments,
  };
}

/** A stored household as the form's values (the ID number left empty: it is never sent back). */
function householdToForm(h: StoredHousehold, payments: Awaited<ReturnType<typeof findPayments>>): FormValues {
  const values: FormValues = {
    village: h.village, villageGroup: h.village_group, headName: h.head_name, idNumber: '', phone: h.phone ?? '',
    householdType: h.household_type, dangerGrade: h.danger_grade, method: h.method, programmeYear: String(h.programme_year),
    approvedYuan: h.approved_yuan, acceptedOn: h.accepted_on ?? '', postedVillageFrom: h.posted_village_from ?? '',
    postedVillageTo: h.posted_village_to ?? '', postedTownFrom: h.posted_town_from ?? '', postedTownTo: h.posted_town_to ?? '',
    proxyReason: h.proxy_reason ?? '',
  };
  for (const [item, present] of Object.entries(h.archive as Record<string, boolean>)) if (present) values[`archive.${item}`] = '有';
  payments.forEach((p, n) => {
    Object.assign(values, { [`payments.${n}.paidOn`]: p.paid_on, [`payments.${n}.amountYuan`]: p.amount_yuan, [`payments.${n}.payeeName`]: p.payee_name, [`payments.${n}.channel`]: p.channel });
  });
  return values;
}

export default async function householdRoutes(app: FastifyInstance, ctx: StaffContext) {
  const schema = makeHouseholdSchema(() => ctx.campaign);

  function renderForm(request: FastifyRequest, reply: FastifyReply, values: FormValues, errors: FieldError[] = [], existing?: { id: string; version: number }) {
    const t = request.t;
    const locale = request.locale;
    const register = ctx.campaign.register;
    const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
    const options = (items: Campaign['register']['methods'], name: string) =>
      items.map((i) => ({ key: i.key, label: i.name[locale], selected: values[name] === i.key }));
    const filled = Math.max(...[...Array(MAX_PAYMENTS).keys()].filter((n) => PAYMENT_PARTS.some((p) => values[`payments.${n}.${p}`])), -1) + 1;
    return reply.page('staff/household-form', {
      title: t(existing ? 'households.form.editHeading' : 'households.form.newHeading'),
      staff: request.staff,
      householdId: existing?.id,
      version: existing?.version,
      errors: byField,
      errorList: errors,
      villages: ctx.campaign.villages.map((v) => ({ id: v.id, selected: v.id === values.village })),
      textFields: TEXT_FIELDS.map((name) => ({
        name,
        value: values[name] ?? '',
        error: byField[name],
        numeric: NUMERIC.has(name),
        hint: name === 'idNumber' && existing ? t('households.form.idKept') : undefined,
      })),
      selects: [
        { name: 'householdType', options: options(register.householdTypes, 'householdType'), error: byField.householdType },
        { name: 'dangerGrade', options: ['C', 'D'].map((g) => ({ key: g, label: `${g}`, selected: values.dangerGrade === g })), error: byField.dangerGrade },
        { name: 'method', options: options(register.methods, 'method'), error: byField.method },
      ],
      archive: register.archiveItems.map((i) => ({ key: i.key, label: i.name[locale], checked: Boolean(values[`archive.${i.key}`]) })),
      payments: [...Array(Math.min(MAX_PAYMENTS, filled + 2)).keys()].map((n) => ({
        cells: PAYMENT_PARTS.map((part) => ({
          id: `payments.${n}.${part}`,
          value: values[`payments.${n}.${part}`] ?? '',
          error: byField[`payments.${n}.${part}`],
          label: `${t(`households.fields.${part}`)} ${n + 1}`,
        })),
      })),
    });
  }

  // Subsidy standards (补助标准): what each type, grade and method was due in a range of years.
  const standardSchema = makeStandardSchema(() => ctx.campaign);
  async function renderStandards(request: FastifyRequest, reply: FastifyReply, values: FormValues = {}, errors: FieldError[] = []) {
    const locale = request.locale;
    const register = ctx.campaign.register;
    const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
    return reply.page('staff/household-standards', {
      title: request.t('households.standards.title'),
      staff: request.staff,
      standards: (await listStandards(ctx.db)).map((st) => ({
        ...st,
        type: listName(register.householdTypes, st.household_type, locale),
        method: listName(register.methods, st.method, locale),
      })),
      types: register.householdTypes.map((i) => ({ key: i.key, label: i.name[locale], selected: values.householdType === i.key })),
      methods: register.methods.map((i) => ({ key: i.key, label: i.name[locale], selected: values.method === i.key })),
      grades: ['C', 'D'].map((g) => ({ key: g, selected: values.dangerGrade === g })),
      values,
      errors: byField,
      errorList: errors,
    });
  }

  app.get('/households/standards', async (request, reply) => renderStandards(request, reply));

  app.post('/households/standards', async (request, reply) => {
    const body = request.body as FormValues;
    const parsed = standardSchema.safeParse(body);
    if (!parsed.success) return renderStandards(request, reply.code(400), body, fieldErrors(parsed.error, request.t));
    await addStandard(ctx.db, flagSettings(ctx.campaign), request.staff!.userId, parsed.data);
    return reply.redirect('/staff/households/standards', 303);
  });

  app.post('/households/standards/:id/remove', async (request, reply) => {
    const params = householdIdSchema.safeParse(request.params);
    if (!params.success || !(await removeStandard(ctx.db, flagSettings(ctx.campaign), request.staff!.userId, params.data.id))) throw new HttpError(404);
    return reply.redirect('/staff/households/standards', 303);
  });

  app.get('/households/new', async (request, reply) => renderForm(request, reply, { village: ctx.campaign.villages[0]!.id }));

  app.post('/households', async (request, reply) => {
    const body = request.body as FormValues;
    const parsed = schema.safeParse(formToRaw(body, ctx.campaign));
    if (!parsed.success) return renderForm(request, reply.code(400), body, fieldErrors(parsed.error, request.t));
    const saved = await saveHousehold(ctx.db, ctx.householdKeys, flagSettings(ctx.campaign), request.staff!.userId, parsed.data);
    if ('problem' in saved) return renderForm(request, reply.code(409), body, [{ field: 'idNumber', code: 'households.duplicate', message: request.t('errors.households.duplicate') }]);
    return reply.redirect(`/staff/households/${saved.id}`, 303);
  });

  app.get('/households/:id/edit', async (request, reply) => {
    const params = householdIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const household = await findHousehold(ctx.db, params.data.id);
    if (!household) throw new HttpError(404);
    return renderForm(request, reply, householdToForm(household, await findPayments(ctx.db, household.id)), [], { id: household.id, version: household.version });
  });

  // A correction: an ID number left empty keeps the stored one (it is never sent to the page).
  app.post('/households/:id', async (request, reply) => {
    const params = householdIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const body = request.body as FormValues;
    const existing = { id: params.data.id, version: Number(body.version) || 0 };
    const raw = formToRaw(body, ctx.campaign);
    if (!String(raw.idNumber).trim()) {
      const kept = await currentIdNumber(ctx.db, ctx.householdKeys, existing.id);
      if (kept === null) throw new HttpError(404);
      raw.idNumber = kept;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return renderForm(request, reply.code(400), { ...body, idNumber: body.idNumber ?? '' }, fieldErrors(parsed.error, request.t), existing);
    const saved = await saveHousehold(ctx.db, ctx.householdKeys, flagSettings(ctx.campaign), request.staff!.userId, parsed.data, existing);
    if ('problem' in saved) {
      if (saved.problem === 'missing') throw new HttpError(404);
      const key = saved.problem === 'conflict' ? 'errors.households.conflict' : 'errors.households.duplicate';
      return renderForm(request, reply.code(409), body, [{ field: saved.problem === 'conflict' ? 'headName' : 'idNumber', code: key.slice(7), message: request.t(key) }], existing);
    }
    return reply.redirect(`/staff/households/${existing.id}`, 303);
  });

  const filterQuery = (f: RegisterFilter) => new URLSearchParams(Object.entries(f).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));

  async function renderList(request: FastifyRequest, reply: FastifyReply, q: RegisterQuery, unmasked: { reason?: string; errors?: FieldError[] } = {}) {
    const filter = registerFilter(q);
    const [rows, counts] = await Promise.all([listHouseholds(ctx.db, filter, { before: q.before, size: PAGE }), countFlagsByVillage(ctx.db)]);
    const locale = request.locale;
    const villages = ctx.campaign.villages.map((v) => {
      const c = counts.find((row) => row.village === v.id);
      return {
        id: v.id,
        selected: v.id === q.village,
        households: c?.households ?? 0,
        flagged: c?.flagged ?? 0,
        kinds: FLAG_KINDS.map((kind) => ({ kind, n: c?.kinds[kind] ?? 0 })),
      };
    });
    const shown = rows.slice(0, PAGE);
    const query = filterQuery(filter);
    const errors = unmasked.errors ?? [];
    return reply.page('staff/households', {
      title: request.t('households.title'),
      staff: request.staff,
      filters: { ...q, flag: filter.flag },
      canImport: request.staff!.role !== 'viewer',
      canSetStandards: request.staff!.role === 'admin',
      canExportUnmasked: (ROUTE_ACCESS['POST /staff/households/export/unmasked'] as readonly StaffRole[]).includes(request.staff!.role),
      villages,
      kinds: FLAG_KINDS.map((kind) => ({ kind, selected: kind === filter.flag })),
      recheckStates: RECHECK_STATES.map((id) => ({ id, selected: id === filter.recheck })),
      rows: shown.map((r) => ({
        ...r,
        type: listName(ctx.campaign.register.householdTypes, r.household_type, locale),
        method: listName(ctx.campaign.register.methods, r.method, locale),
        flags: r.flags ?? [],
      })),
      exportHref: `/staff/households/export.csv?${query}`,
      exportXlsxHref: `/staff/households/export.xlsx?${query}`,
      // The unmasked export's form carries the filter as it was shown, and its reason when refused.
      exportFilter: [...query].map(([name, value]) => ({ name, value })),
      unmaskedReason: unmasked.reason ?? '',
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
      next: rows.length > PAGE ? `/staff/households?${new URLSearchParams([...query, ['before', shown.at(-1)!.id]])}` : null,
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
    return reply.type(SAMPLE_TYPES.xlsx).header('content-disposition', 'attachment; filename="households.xlsx"').send(body);
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
      .type(SAMPLE_TYPES.xlsx)
      .header('cache-control', 'private, no-store')
      .header('content-disposition', `attachment; filename="households-unmasked-${new Date().toISOString().slice(0, 10)}.xlsx"`)
      .send(file);
  });

  async function renderHousehold(request: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FieldError[]; revealed?: string } = {}) {
    const household = await findHousehold(ctx.db, id);
    if (!household) throw new HttpError(404);
    const [payments, flags, history, rechecks, problemRows] = await Promise.all([
      findPayments(ctx.db, id), findFlags(ctx.db, id), findHistory(ctx.db, id), rechecksOfHousehold(ctx.db, id), problemRowsOfHousehold(ctx.db, id),
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
      history: history.map((h) => ({ ...h, entries: Object.entries(h.changes).map(([field, change]) => ({ field, change: Array.isArray(change) ? change.map((v) => (v === null ? '—' : String(v))).join(' → ') : String(change) })) })),
      canEdit: role !== 'viewer',
      canReveal: role === 'admin' || role === 'investigator',
      canClear: role === 'admin' || role === 'investigator',
      revealed: extra.revealed,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  // Import: a village's sheet, previewed with every row's problems, then committed all at once.
  const importPage = (request: FastifyRequest, reply: FastifyReply, view: Record<string, unknown> = {}) =>
    reply.page('staff/household-import', {
      title: request.t('households.import.title'),
      staff: request.staff,
      maxMb: DEFAULT_IMPORT_LIMITS.maxBytes / 1024 / 1024,
      maxRows: DEFAULT_IMPORT_LIMITS.maxRows,
      ...view,
    });

  app.get('/households/import', async (request, reply) => importPage(request, reply));

  app.get('/households/import/sample.:ext', async (request, reply) => {
    const ext = (request.params as { ext: string }).ext;
    if (ext !== 'csv' && ext !== 'xlsx') throw new HttpError(404);
    return reply
      .type(SAMPLE_TYPES[ext])
      .header('content-disposition', `attachment; filename="households-sample.${ext}"`)
      .send(await readFile(`${SAMPLES}households.${ext}`));
  });

  // The upload is the one staff form with a file: multipart in this scope only, the file read
  // whole (up to the limit) before the CSRF check reads the token beside it.
  await app.register(async (scope) => {
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: DEFAULT_IMPORT_LIMITS.maxBytes + 1, files: 1, fields: 4, parts: 5, headerPairs: 20 },
      onFile: async (part) => {
        const bytes = await part.toBuffer();
        (part as unknown as { value: UploadedFile }).value = { name: part.filename, bytes, truncated: part.file.truncated };
      },
    });
    scope.post('/households/import', async (request, reply) => {
      const file = (request.body as { file?: UploadedFile } | undefined)?.file;
      const refuse = (error: ImportFileError) =>
        importPage(request, reply.code(400), { refused: request.t(error.messageKey, error.params ?? {}) });
      if (!file || typeof file !== 'object' || file.bytes.length === 0) return refuse(new ImportFileError('empty'));
      if (file.truncated) return refuse(new ImportFileError('tooLarge', { maxMb: DEFAULT_IMPORT_LIMITS.maxBytes / 1024 / 1024 }));
      const preview = await previewImport(ctx.db, ctx.householdKeys, ctx.campaign, request.staff!.userId, file);
      if (preview.kind === 'refused') return refuse(preview.error);
      if (preview.kind === 'problems') {
        return importPage(request, reply.code(400), {
          fileName: file.name,
          rows: preview.rows,
          more: preview.more,
          problems: preview.problems.map((p) => ({ ...p, message: request.t(p.code, p.params ?? {}) })),
        });
      }
      return importPage(request, reply, { fileName: file.name, rows: preview.rows, ready: preview.importId });
    });
  });

  app.post('/households/import/:id/commit', async (request, reply) => {
    const params = importIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const summary = await commitPreviewedImport(ctx.db, ctx.householdKeys, ctx.campaign, request.staff!.userId, params.data.id);
    if (!summary) return importPage(request, reply.code(409), { refused: request.t('households.import.stale') });
    return importPage(request, reply, { committed: summary });
  });

  app.post('/households/import/:id/discard', async (request, reply) => {
    const params = importIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    await discardImport(ctx.db, params.data.id);
    return reply.redirect('/staff/households/import', 303);
  });

  // A lead and the households it is about: linked by admins and investigators on the lead's side.
  async function leadOr404(params: unknown) {
    const parsed = householdIdSchema.safeParse(params);
    const lead = parsed.success ? await findLead(ctx.db, parsed.data.id) : undefined;
    if (!lead) throw new HttpError(404);
    return lead;
  }

  app.get('/leads/:id/households', async (request, reply) => {
    const lead = await leadOr404(request.params);
    const q = linkQuerySchema.parse(request.query);
    const linked = await findLinkedHouseholds(ctx.db, lead.id);
    const found = q.q || q.village ? await searchHouseholds(ctx.db, { village: q.village, text: q.q ?? '' }) : [];
    const linkedIds = new Set(linked.map((h) => h.id));
    return reply.page('staff/lead-households', {
      title: request.t('households.leads.title'),
      staff: request.staff,
      lead,
      linked: linked.map((h) => ({ ...h, flags: h.flags ?? [] })),
      query: q,
      searched: Boolean(q.q || q.village),
      villages: ctx.campaign.villages.map((v) => ({ id: v.id, selected: v.id === (q.village ?? lead.village) })),
      found: found.map((h) => ({ ...h, linked: linkedIds.has(h.id) })),
    });
  });

  app.post('/leads/:id/households', async (request, reply) => {
    const lead = await leadOr404(request.params);
    const household = householdIdSchema.safeParse({ id: (request.body as FormValues).household });
    if (!household.success || !(await linkLead(ctx.db, flagSettings(ctx.campaign), request.staff!.userId, lead.id, household.data.id))) throw new HttpError(404);
    return reply.redirect(`/staff/leads/${lead.id}/households`, 303);
  });

  app.post('/leads/:id/households/:householdId/unlink', async (request, reply) => {
    const lead = await leadOr404(request.params);
    const household = householdIdSchema.safeParse({ id: (request.params as { householdId?: string }).householdId });
    if (!household.success || !(await unlinkLead(ctx.db, flagSettings(ctx.campaign), request.staff!.userId, lead.id, household.data.id))) throw new HttpError(404);
    return reply.redirect(`/staff/leads/${lead.id}/households`, 303);
  });

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
