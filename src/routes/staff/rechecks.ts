import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Locale } from '../../campaign/schema.js';
import { HttpError } from '../../lib/errors.js';
import { chinaDate } from '../../calendar/work-calendar.js';
import { findDraw, findItem, findItems, findPaymentsOf, listDraws } from '../../rechecks/repository.js';
import { idParamsSchema, makeDrawSchema, makeRecordSchema, RECHECK_FIELDS, RECHECK_KINDS, RECHECK_METHODS, sheetQuerySchema, type RecheckField } from '../../rechecks/schema.js';
import { drawRechecks, recordRecheck, recordRecheckExport } from '../../rechecks/service.js';
import { drawToXlsx, registerValues, resultWord } from '../../rechecks/sheet.js';
import { CATEGORIES } from '../../reports/schema.js';
import { fieldErrors, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

// Re-check draws (复核复查) and the yearly town spot check (年度抽查) of the household register: the
// list, the draw form (admins), a draw's page with each drawn household's record form, the A4
// sheet per village for the visit, and the XLSX. Who may do what: src/staff/access.ts. ID numbers
// appear masked only, here and in both exports.

type Body = Record<string, string>;
type Items = Awaited<ReturnType<typeof findItems>>;

const today = () => chinaDate(new Date());
const DEADLINE_DAYS = 30;
const inDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

function idOf(params: unknown): string {
  const parsed = idParamsSchema.safeParse(params);
  if (!parsed.success) throw new HttpError(404);
  return parsed.data.id;
}

/** The form's flat fields (check.<field>) as the record schema takes them. */
function recordRaw(body: Body) {
  return {
    ...body,
    check: Object.fromEntries(RECHECK_FIELDS.map((f) => [f, body[`check.${f}`] ?? ''])),
  };
}

export default async function recheckRoutes(app: FastifyInstance, ctx: StaffContext) {
  const villageName = (id: string, locale: Locale) => ctx.campaign.villages.find((v) => v.id === id)?.name[locale] ?? id;
  const latestYear = () => Number(today().slice(0, 4));

  app.get('/rechecks', async (request, reply) => {
    const draws = await listDraws(ctx.db);
    return reply.page('staff/rechecks', {
      title: request.t('rechecks.title'),
      staff: request.staff,
      draws,
      canDraw: request.staff!.role === 'admin',
    });
  });

  function renderNew(request: FastifyRequest, reply: FastifyReply, values: Body, errors: FieldError[] = []) {
    const years = [...Array(latestYear() - 2017 + 1).keys()].map((i) => latestYear() - i);
    return reply.page('staff/recheck-new', {
      title: request.t('rechecks.new.title'),
      staff: request.staff,
      kinds: RECHECK_KINDS.map((k) => ({ id: k, checked: (values.kind ?? 'recheck') === k })),
      years: years.map((y) => ({ id: String(y), selected: values.year === String(y) })),
      values,
      forceFlagged: values.forceFlagged === '1',
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });
  }

  app.get('/rechecks/new', async (request, reply) => {
    const r = ctx.campaign.register.recheck;
    return renderNew(request, reply, { kind: 'recheck', ratePercent: String(r.ratePercent), minimumPerVillage: String(r.minimumPerVillage), year: 'all', forceFlagged: '' });
  });

  app.post('/rechecks', async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const parsed = makeDrawSchema(latestYear()).safeParse(body);
    if (!parsed.success) return renderNew(request, reply.code(400), body, fieldErrors(parsed.error, request.t));
    const d = parsed.data;
    const id = await drawRechecks(ctx.db, request.staff!.userId, {
      kind: d.kind,
      ratePercent: d.ratePercent,
      minimumPerVillage: d.minimumPerVillage,
      year: d.year === 'all' ? null : d.year,
      forceFlagged: d.forceFlagged,
      seed: d.seed,
    });
    return reply.redirect(`/staff/rechecks/${id}`, 303);
  });

  /** Each item with the register's values of the fields to check, and its result once recorded. */
  async function itemViews(request: FastifyRequest, items: Items) {
    const payments = await findPaymentsOf(ctx.db, items.map((i) => i.household_id));
    const t = request.t;
    return items.map((item) => {
      const values = registerValues(item, payments.filter((p) => p.household_id === item.household_id), ctx.campaign, request.locale, t);
      return {
        item,
        values,
        fields: RECHECK_FIELDS.map((field) => ({
          field,
          label: t(`rechecks.fields.${field}`),
          value: values[field],
          result: item.recorded_at ? resultWord(t, item.fields, field) : null,
          differs: item.fields?.[field] === false,
        })),
      };
    });
  }

  async function renderDraw(request: FastifyRequest, reply: FastifyReply, id: string, failed?: { itemId: string; body: Body; errors: FieldError[] }) {
    const draw = await findDraw(ctx.db, id);
    if (!draw) throw new HttpError(404);
    const locale = request.locale;
    const t = request.t;
    const role = request.staff!.role;
    const canRecord = role !== 'viewer';
    const day = today();
    const views = await itemViews(request, await findItems(ctx.db, id));
    const errorList = (failed?.errors ?? []).map((e) => ({ ...e, field: `${e.field.split('.')[0]}-${failed!.itemId}` }));
    const byField = Object.fromEntries(errorList.map((e) => [e.field, e.message]));
    const villages: { id: string; name: string; items: unknown[] }[] = [];
    for (const v of views) {
      let group = villages.find((g) => g.id === v.item.village);
      if (!group) villages.push((group = { id: v.item.village, name: villageName(v.item.village, locale), items: [] }));
      const mine = failed?.itemId === v.item.id ? failed.body : null;
      const value = (name: string, fallback = '') => mine?.[name] ?? fallback;
      const err = (name: string) => byField[`${name}-${v.item.id}`];
      group.items.push({
        ...v.item,
        fields: v.fields,
        form:
          canRecord && !v.item.recorded_at
            ? {
                methods: RECHECK_METHODS.map((m) => ({ id: m, checked: value('method') === m })),
                checkedOn: value('checkedOn', day),
                checks: v.fields.map((f) => ({ ...f, match: value(`check.${f.field}`) === 'match', differ: value(`check.${f.field}`) === 'differ' })),
                note: value('note'),
                problem: value('problem') === '1',
                categories: CATEGORIES.map((c) => ({ id: c, selected: value('category') === c })),
                deadline: value('deadline', inDays(day, DEADLINE_DAYS)),
                err: Object.fromEntries(['method', 'checkedOn', 'check', 'note', 'problem', 'category', 'deadline'].map((f) => [f, { id: `${f}-${v.item.id}`, message: err(f) }])),
              }
            : null,
      });
    }
    return reply.page('staff/recheck-draw', {
      title: t('rechecks.draw.title', { id }),
      staff: request.staff,
      draw,
      villages,
      today: day,
      errors: byField,
      errorList,
    });
  }

  app.get('/rechecks/:id', async (request, reply) => renderDraw(request, reply, idOf(request.params)));

  app.post('/rechecks/items/:id', async (request, reply) => {
    const itemId = idOf(request.params);
    const item = await findItem(ctx.db, itemId);
    if (!item) throw new HttpError(404);
    const body = (request.body ?? {}) as Body;
    const parsed = makeRecordSchema({ today: today(), drawnOn: item.drawn_on }).safeParse(recordRaw(body));
    if (!parsed.success) return renderDraw(request, reply.code(400), item.draw_id, { itemId, body, errors: fieldErrors(parsed.error, request.t) });
    const t = request.t;
    const differing = (Object.entries(parsed.data.fields) as [RecheckField, boolean][]).filter(([, same]) => !same).map(([f]) => t(`rechecks.fields.${f}`));
    const outcome = await recordRecheck(ctx.db, request.staff!.userId, itemId, parsed.data, {
      problem: t('rechecks.problem.text', {
        kind: t(`rechecks.kinds.${item.kind}`),
        draw: item.draw_id,
        name: item.head_name,
        group: item.village_group,
        household: item.household_id,
        fields: differing.join(request.locale === 'zh-CN' ? '、' : ', '),
        note: parsed.data.note,
      }),
      measures: t('rechecks.problem.measures'),
    });
    if (!outcome.recorded) throw new HttpError(outcome.reason === 'missing' ? 404 : 409);
    return reply.redirect(`/staff/rechecks/${item.draw_id}#item-${itemId}`, 303);
  });

  // The sheet a checker takes to one village: A4, the households drawn there, the register's
  // values with a box for "matches" and one for "differs", blanks for method and date, signatures.
  app.get('/rechecks/:id/sheet', async (request, reply) => {
    const id = idOf(request.params);
    const q = sheetQuerySchema.safeParse(request.query);
    if (!q.success || !ctx.campaign.villages.some((v) => v.id === q.data.village)) throw new HttpError(404);
    const draw = await findDraw(ctx.db, id);
    if (!draw) throw new HttpError(404);
    const views = await itemViews(request, await findItems(ctx.db, id, q.data.village));
    await recordRecheckExport(ctx.db, request.staff!.userId, { draw: id, format: 'sheet', village: q.data.village, rows: views.length });
    const locale = request.locale;
    return reply.page('staff/recheck-sheet', {
      title: request.t('rechecks.sheet.title', { village: villageName(q.data.village, locale), id }),
      staff: request.staff,
      draw,
      town: ctx.campaign.town?.[locale] ?? '',
      village: villageName(q.data.village, locale),
      households: views.map((v) => ({ ...v.item, fields: v.fields })),
      methods: RECHECK_METHODS,
    });
  });

  app.get('/rechecks/:id/export.xlsx', async (request, reply) => {
    const id = idOf(request.params);
    const draw = await findDraw(ctx.db, id);
    if (!draw) throw new HttpError(404);
    const t = request.t;
    const locale = request.locale;
    const views = await itemViews(request, await findItems(ctx.db, id));
    const header = [
      '#', t('households.fields.village'), t('households.fields.villageGroup'), t('households.fields.headName'), t('households.fields.idNumber'),
      t('households.fields.programmeYear'), t('rechecks.inDraw'), t('rechecks.record.method'), t('rechecks.record.checkedOn'), t('rechecks.record.checker'),
      ...RECHECK_FIELDS.flatMap((f) => [t(`rechecks.fields.${f}`), `${t(`rechecks.fields.${f}`)} · ${t('rechecks.result.title')}`]),
      t('rechecks.record.note'), t('rechecks.problemRow'),
    ];
    const rows = views.map(({ item, fields }) => [
      String(item.position), villageName(item.village, locale), item.village_group, item.head_name, item.id_masked, String(item.programme_year),
      t(item.forced ? 'rechecks.forced' : 'rechecks.drawn'),
      item.checked_by_method ? t(`rechecks.methods.${item.checked_by_method}`) : '', item.checked_on ?? '', item.checker ?? '',
      ...fields.flatMap((f) => [f.value, f.result ?? '']),
      item.note ?? '', item.problem_row_id ?? '',
    ]);
    const info: [string, string][] = [
      [t('rechecks.kind'), t(`rechecks.kinds.${draw.kind}`)],
      [t('rechecks.drawnAt'), `${draw.drawn_on} · ${draw.drawer ?? ''}`],
      [t('rechecks.scope'), draw.programme_year ? String(draw.programme_year) : t('rechecks.allYears')],
      [t('rechecks.rule'), t('rechecks.ruleValue', { rate: draw.rate_percent, minimum: draw.minimum_per_village })],
      [t('rechecks.seed'), draw.seed],
      [t('rechecks.candidates'), String(draw.candidate_count)],
      [t('rechecks.digest'), draw.candidate_digest],
    ];
    const body = await drawToXlsx({ info, header, rows }, { items: t('rechecks.xlsx.items'), info: t('rechecks.xlsx.info') });
    await recordRecheckExport(ctx.db, request.staff!.userId, { draw: id, format: 'xlsx', village: null, rows: rows.length });
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="recheck-${id}.xlsx"`)
      .send(body);
  });
}
