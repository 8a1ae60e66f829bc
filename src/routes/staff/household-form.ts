import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Campaign } from '../../campaign/schema.js';
import { HttpError } from '../../lib/errors.js';
import { findHousehold, findPayments, listStandards, type StoredHousehold } from '../../households/repository.js';
import { householdIdSchema, makeHouseholdSchema, makeStandardSchema, MAX_PAYMENTS } from '../../households/schema.js';
import { addStandard, currentIdNumber, flagSettings, removeStandard, saveHousehold } from '../../households/service.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import { listName, type FormValues } from './households.js';
import type { StaffContext } from './context.js';

// A household's record typed in or corrected by hand, and the subsidy standards it is checked
// against (admins). The register's list and record page: ./households.ts.

const TEXT_FIELDS = [
  'villageGroup', 'headName', 'idNumber', 'phone', 'programmeYear', 'approvedYuan', 'acceptedOn',
  'postedVillageFrom', 'postedVillageTo', 'postedTownFrom', 'postedTownTo', 'proxyReason',
] as const;
const NUMERIC = new Set(['programmeYear', 'approvedYuan']);
const PAYMENT_PARTS = ['paidOn', 'amountYuan', 'payeeName', 'channel'] as const;

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

export default async function householdFormRoutes(app: FastifyInstance, ctx: StaffContext) {
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
}
