import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { uploadHint } from '../../src/routes/public/upload.js';
import { loadCampaign } from '../../src/campaign/schema.js';
import { loadConfig } from '../../src/config.js';
import { loadCatalogs } from '../../src/i18n/index.js';
import { DUE_SOON_WORKING_DAYS } from '../../src/leads/deadlines.js';
import { STATUSES } from '../../src/leads/schema.js';
import { offeredKinds } from '../../src/messages/service.js';
import { threadEntries } from '../../src/messages/thread.js';
import { loadTemplates } from '../../src/plugins/templates.js';
import type { PublicStatusRow } from '../../src/reports/repository.js';
import { LIMITS } from '../../src/reports/schema.js';
import { registerQuerySchema } from '../../src/households/schema.js';
import { registerView } from '../../src/routes/staff/households.js';
import { queueRows } from '../../src/routes/staff/leads.js';

// The bare ceilings the real endpoints are compared with, in a process of their own (started by
// bench/run.ts, which talks to it over IPC). No plugins, no logger, no validation:
//   GET  /a        limit A — a static HTML string as large as the real status result page
//   GET  /b/:hash  limit B — one indexed SELECT by code_hash on the reports table (plain `pg`)
//   POST /c        limit C — BEGIN + INSERT report + INSERT receipt + COMMIT (plain `pg`)
//   GET  /q/:n     limit Q — the staff queue's keyset query n, exactly as the app sends it, rows as JSON
// and the fair ceilings of the rendered pages: the same SQL, then the same template with the same
// partials and catalog texts, compiled once by the app's own engine (src/plugins/templates.ts):
//   GET  /b2/:hash limit B′ — the status lookup's query (BENCH_STATUS_SQL) and its result page
//   GET  /q2/:n    limit Q′ — queue query n and the queue page (rows labelled as the app labels them)
//   GET  /r/:n     limit R — the register page n's statements (its page of households, the stored
//                  counts per village), exactly as the app sends them, at once as the page does, and
//                  the register page rendered from them as the app renders it (registerView)
// Environment: BENCH_DATABASE_URL, BENCH_POOL_SIZE, BENCH_PAGE (the page for limit A, base64),
// BENCH_QUEUE_QUERIES (JSON: [{sql, parameters, filters}]), BENCH_REGISTER_QUERIES (JSON:
// [{path, queries: [{sql, parameters}, …]}]), BENCH_STATUS_SQL and BENCH_PORT (default: any free port).

const url = process.env.BENCH_DATABASE_URL;
const pageBase64 = process.env.BENCH_PAGE;
if (!url || !pageBase64) throw new Error('limits server: BENCH_DATABASE_URL and BENCH_PAGE are required');
const poolSize = Number(process.env.BENCH_POOL_SIZE ?? 10);

const page = Buffer.from(pageBase64, 'base64').toString('utf8');
const queueQueries = JSON.parse(process.env.BENCH_QUEUE_QUERIES ?? '[]') as { sql: string; parameters: unknown[]; filters: object }[];
const registerPages = (JSON.parse(process.env.BENCH_REGISTER_QUERIES ?? '[]') as { path: string; queries: { sql: string; parameters: unknown[] }[] }[]).map((p) => ({
  ...p,
  query: registerQuerySchema.parse(Object.fromEntries(new URL(p.path, 'http://bench').searchParams)),
}));
// The same driver settings as src/db/connect.ts, so only the work per request differs.
const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000, statement_timeout: 15_000 });
pool.on('error', () => {});

const statusSql = process.env.BENCH_STATUS_SQL ?? '';
const app = Fastify({ logger: false });

// What every page is given (src/plugins/views.ts), for a Chinese page reached by POST.
const templates = loadTemplates();
const campaign = loadCampaign('config/campaign.json');
const catalog = loadCatalogs()['zh-CN'];
const t = (key: string) => catalog[key] ?? key;
const pageContext = { locale: 'zh-CN', campaign, hotline: campaign.hotlines[0]!.number, switchHref: '/?lang=en', otherLocale: 'en', publicUrlNotice: null };
const uploads = uploadHint(loadConfig({}).uploads);
// A view token of the real one's length (the app seals the report id with a fresh nonce per page).
const viewToken = 'x'.repeat(86);

app.get<{ Params: { hash: string } }>('/b2/:hash', async (request, reply) => {
  // Prepared once per connection, as the app's driver prepares it (src/db/connect.ts).
  const r = await pool.query<PublicStatusRow>({ name: 'status', text: statusSql, values: [Buffer.from(request.params.hash, 'hex')] });
  const row = r.rows[0];
  if (!row) return reply.code(404).send({ error: 'not_found' });
  const thread = threadEntries(row.messages);
  const kinds = offeredKinds(row.status, thread);
  return reply.type('text/html; charset=utf-8').send(
    templates.render('zh-CN', 'public/status-result', {
      ...pageContext,
      title: t('status.title'),
      view: viewToken,
      status: row.status,
      submittedAt: row.submitted_at,
      statusChangedAt: row.status_changed_at,
      updates: row.updates.map((u) => ({ body: u.body, createdAt: new Date(u.created_at) })),
      files: row.files.map((f) => f.display_name),
      thread,
      canWrite: kinds.length > 0,
      choices: kinds.length > 1 ? kinds.map((kind, i) => ({ kind, checked: i === 0 })) : [],
      onlyKind: kinds.length === 1 ? kinds[0] : undefined,
      textLimits: LIMITS.description,
      values: { text: '' },
      errors: {},
      errorList: [],
      uploads,
    }),
  );
});

// The queue page's other parts come from caches in the app (counts, names): fixed here.
const staff = { userId: '0', username: 'bench', role: 'investigator', csrfToken: 'x'.repeat(43), stage: 'full' };
const queueRequest = { t, locale: 'zh-CN' as const };
app.get<{ Params: { n: string } }>('/q2/:n', async (request, reply) => {
  const q = queueQueries[Number(request.params.n)];
  if (!q) return reply.code(404).send({ error: 'not_found' });
  const rows = (await pool.query(q.sql, q.parameters)).rows;
  const today = new Date().toISOString().slice(0, 10);
  return reply.type('text/html; charset=utf-8').send(
    templates.render('zh-CN', 'staff/leads', {
      ...pageContext,
      title: t('staff.leads.title'),
      staff,
      filters: q.filters,
      rows: queueRows(rows, queueRequest, campaign, today),
      soonDays: DUE_SOON_WORKING_DAYS,
      overdueLabel: t('staff.leads.overdue'),
      nextHref: rows.length > 0 ? '/staff/leads?after=x' : null,
      counts: STATUSES.map((status) => ({ status, n: 0, active: false })),
      statuses: STATUSES,
      assignable: [],
    }),
  );
});

app.get('/a', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));

app.get<{ Params: { hash: string } }>('/b/:hash', async (request, reply) => {
  const r = await pool.query('SELECT status, submitted_at, status_changed_at FROM reports WHERE code_hash = $1', [
    Buffer.from(request.params.hash, 'hex'),
  ]);
  if (r.rows.length === 0) return reply.code(404).send({ error: 'not_found' });
  return r.rows[0];
});

app.get<{ Params: { n: string } }>('/q/:n', async (request, reply) => {
  const q = queueQueries[Number(request.params.n)];
  if (!q) return reply.code(404).send({ error: 'not_found' });
  return (await pool.query(q.sql, q.parameters)).rows;
});

// The register page as an investigator sees it (the bench signs one in for the app).
app.get<{ Params: { n: string } }>('/r/:n', async (request, reply) => {
  const n = Number(request.params.n);
  const page = registerPages[n];
  if (!page) return reply.code(404).send({ error: 'not_found' });
  // Prepared once per connection, as the app's driver prepares them (src/db/connect.ts).
  const [rows, counts] = await Promise.all(page.queries.map((q, i) => pool.query({ name: `register_${n}_${i}`, text: q.sql, values: q.parameters })));
  return reply.type('text/html; charset=utf-8').send(
    templates.render('zh-CN', 'staff/households', {
      ...pageContext,
      title: t('households.title'),
      staff,
      ...registerView({ rows: rows!.rows, counts: counts!.rows }, page.query, campaign, 'zh-CN', 'investigator'),
    }),
  );
});

interface Submission {
  category?: string;
  typicalForm?: string;
  village?: string;
  subject?: string;
  description?: string;
  period?: string;
  amount?: string;
}

app.post<{ Body: Submission }>('/c', async (request, reply) => {
  const b = request.body;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const r = await client.query<{ id: string; submitted_at: Date }>(
      `INSERT INTO reports (code_hash, category, typical_form, village, subject, description, period_month, amount_yuan)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, submitted_at`,
      [
        randomBytes(32),
        b.category,
        b.typicalForm ?? null,
        b.village ?? null,
        b.subject ?? null,
        b.description,
        b.period ? `${b.period}-01` : null,
        b.amount ?? null,
      ],
    );
    const row = r.rows[0]!;
    await client.query(
      'INSERT INTO submission_receipts (token_hash, input_hash, report_id, sealed_code, created_at) VALUES ($1, $2, $3, $4, $5)',
      [randomBytes(32), randomBytes(32), row.id, randomBytes(48), row.submitted_at],
    );
    await client.query('COMMIT');
    return reply.code(201).send({ id: row.id, submittedAt: row.submitted_at.toISOString() });
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
});

async function shutdown() {
  await app.close().catch(() => {});
  await pool.end().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
// The parent went away (crash, kill -9): do not linger holding database connections.
process.on('disconnect', () => void shutdown());

await pool.query('SELECT 1');
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
const address = app.server.address();
if (!address || typeof address === 'string') throw new Error('limits server: no TCP address');
process.send?.({ ready: true, port: address.port });
