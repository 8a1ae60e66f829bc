import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { Kysely, PostgresAdapter, PostgresDialect, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import pg from 'pg';
import type { Campaign } from '../../src/campaign/schema.js';
import type { Database } from '../../src/db/schema.js';
import { checkCharacter } from '../../src/households/id-number.js';
import { countFlagsByVillage, listHouseholds, refreshFlags, type RegisterFilter } from '../../src/households/repository.js';
import { flagSettings } from '../../src/households/service.js';
import { insertStaffUser } from '../../src/staff/repository.js';
import { openSession } from '../../src/staff/service.js';
import { sampleRss } from './processes.js';

// The household register at scale (issue 12): village sheets of 100,000 households generated in the
// import layout (src/households/import-layout.ts), imported through the app's own pages as a clerk
// does it (preview, then commit), the register brought to a million households in SQL, the flag
// refresh timed, and the flagged register's pages beside the bare query they run.

const ARCHIVE = ['申请', '鉴定', '审批', '验收', '拨付凭证'];
const HEADER = ['村', '组', '户主姓名', '身份证号', '农户类型', '危房等级', '改造方式', '年度', '核定补助金额', '竣工验收日期',
  '村级公示开始', '村级公示结束', '镇级公示开始', '镇级公示结束', '发放日期', '发放金额', '领取人', '发放方式', '代领原因', ...ARCHIVE.map((a) => `档案-${a}`)];
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'];
const GIVEN = ['德明', '秀英', '长贵', '玉兰', '国华', '桂芳', '明远', '淑珍', '建军', '小河', '大山', '春花'];

/** Distinct valid ID numbers for households `first` … : birth dates over 55 years, then the serial. */
export function benchIdNumber(n: number): string {
  const days = 20_000;
  const born = new Date(Date.UTC(1940, 0, 1) + (n % days) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `500233${born}${String(Math.floor(n / days) % 1000).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

/**
 * Household n as a village's sheet has it (text cells): every tenth paid to someone else without a
 * reason, every twentieth paid less than approved, the rest clean; every village of the campaign.
 */
function sheetRow(campaign: Campaign, n: number): string[] {
  const village = campaign.villages[n % campaign.villages.length]!.name['zh-CN'];
  const type = campaign.register.householdTypes[n % campaign.register.householdTypes.length]!.name['zh-CN'];
  const method = campaign.register.methods[n % 2]!.name['zh-CN'];
  const year = 2017 + (n % 7);
  const name = SURNAMES[n % SURNAMES.length]! + GIVEN[Math.floor(n / SURNAMES.length) % GIVEN.length]!;
  const approved = 10_000 + (n % 3) * 5_000;
  const paid = n % 20 === 7 ? approved - 1_000 : approved;
  const payee = n % 10 === 3 ? `${SURNAMES[(n + 1) % SURNAMES.length]}某` : name;
  return [village, `${1 + (n % 6)}组`, name, benchIdNumber(n), type, n % 3 ? 'C级' : 'D级', method, String(year), String(approved),
    `${year}-10-15`, `${year}-04-01`, `${year}-04-10`, `${year}-04-12`, `${year}-04-20`, `${year}-11-01`, String(paid), payee, '一卡通', '',
    ...ARCHIVE.map(() => '有')];
}

/** A CSV of `rows` households from number `first`, UTF-8 with a BOM as Excel writes it. */
export function registerCsv(campaign: Campaign, first: number, rows: number): Buffer {
  const lines = ['\uFEFF' + HEADER.join(',')];
  for (let n = first; n < first + rows; n++) lines.push(sheetRow(campaign, n).join(','));
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

/** An XLSX of the same layout, written as a streaming writer writes it (inline strings; shared strings, as Excel saves, if asked). */
export async function registerXlsx(campaign: Campaign, first: number, rows: number, useSharedStrings = false): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings });
  const ws = wb.addWorksheet('台账');
  ws.addRow(HEADER).commit();
  for (let n = first; n < first + rows; n++) ws.addRow(sheetRow(campaign, n)).commit();
  ws.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

/** A staff member's session opened directly in the database; returns the Cookie header and the form token. */
export async function staffSession(url: string, username: string, role: 'clerk' | 'investigator'): Promise<{ cookie: string; csrf: string }> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    const user = await insertStaffUser(db, { username, role, email: null, passwordHash: 'unused' });
    const sid = await openSession(db, user.id, false);
    const s = await db.selectFrom('staff_sessions').select('csrf_token').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    return { cookie: `sid=${sid}`, csrf: s.csrf_token };
  } finally {
    await db.destroy();
  }
}

export interface ImportFigures {
  kind: 'csv' | 'xlsx';
  rows: number;
  bytes: number;
  previewMs: number;
  commitMs: number;
  /** Highest RSS of the app sampled (every 100 ms) during the preview and the commit. */
  peakRss: number;
  rssBefore: number;
  summary: string;
  /** Why the app refused the file (then the times are up to the refusal). */
  error?: string;
}

/** One file through the import form as a clerk sends it: the upload (preview), then the commit. */
export async function importThroughApp(appUrl: string, pid: number, session: { cookie: string; csrf: string }, file: { kind: 'csv' | 'xlsx'; bytes: Buffer; rows: number }, rssBefore: number): Promise<ImportFigures> {
  const rss = sampleRss(pid);
  try {
    const form = new FormData();
    form.append('_csrf', session.csrf);
    form.append('file', new Blob([new Uint8Array(file.bytes)]), `households.${file.kind}`);
    let t0 = performance.now();
    const preview = await fetch(`${appUrl}/staff/households/import`, { method: 'POST', headers: { cookie: session.cookie, 'accept-language': 'zh-CN' }, body: form });
    const page = await preview.text();
    const previewMs = performance.now() - t0;
    const id = /action="\/staff\/households\/import\/(\d+)\/commit"/.exec(page)?.[1];
    if (preview.status !== 200 || !id) {
      // Recorded, not thrown: a refused file is a finding of the run, and the rest still runs.
      const text = /<main[\s\S]*?<\/main>/.exec(page)?.[0].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() ?? '';
      return { kind: file.kind, rows: file.rows, bytes: file.bytes.length, previewMs, commitMs: 0, peakRss: rss.stop(), rssBefore, summary: '', error: `preview refused the file, HTTP ${preview.status}: ${text.slice(0, 300)}` };
    }
    t0 = performance.now();
    const commit = await fetch(`${appUrl}/staff/households/import/${id}/commit`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ _csrf: session.csrf }),
    });
    const done = await commit.text();
    const commitMs = performance.now() - t0;
    if (commit.status !== 200) {
      return { kind: file.kind, rows: file.rows, bytes: file.bytes.length, previewMs, commitMs, peakRss: rss.stop(), rssBefore, summary: '', error: `commit failed, HTTP ${commit.status} (see the app's log)` };
    }
    const summary = /<main[\s\S]*?<\/main>/.exec(done)?.[0].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300) ?? '';
    return { kind: file.kind, rows: file.rows, bytes: file.bytes.length, previewMs, commitMs, peakRss: rss.stop(), rssBefore, summary };
  } finally {
    rss.stop();
  }
}

/**
 * Brings the register to `size` households in SQL: the same villages, types, methods and years as
 * the sheets, the ID fields of the right shape (a 46-byte "sealed" value, a 32-byte hash, a masked
 * text) but random bytes — the pages show only the masked form —, one payment each, every seventh
 * paid to someone else. Then the flags of every village are left to refreshFlags (timed apart).
 */
export async function seedHouseholds(pool: pg.Pool, campaign: Campaign, size: number): Promise<number> {
  const have = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM households')).rows[0]!.n);
  const more = size - have;
  if (more <= 0) return 0;
  const villages = campaign.villages.map((v) => v.id);
  const types = campaign.register.householdTypes.map((t) => t.key);
  const methods = campaign.register.methods.slice(0, 2).map((m) => m.key);
  const archive = JSON.stringify(Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, true])));
  const step = 100_000;
  for (let from = 0; from < more; from += step) {
    const n = Math.min(step, more - from);
    await pool.query(
      `WITH s AS (SELECT g + $1::int AS n FROM generate_series(1, $2::int) g),
       ins AS (
         INSERT INTO households (village, village_group, head_name, id_sealed, id_hash, id_masked, household_type, danger_grade, method,
           programme_year, approved_yuan, accepted_on, posted_village_from, posted_village_to, posted_town_from, posted_town_to, archive, content_digest)
         SELECT ($3::text[])[1 + n % array_length($3::text[], 1)], (1 + n % 6) || '组', '户主' || n,
           decode(md5('s' || n) || md5('t' || n) || substr(md5('u' || n), 1, 28), 'hex'), sha256(('seed' || n)::bytea),
           '500***********' || lpad((n % 10000)::text, 4, '0'),
           ($4::text[])[1 + n % array_length($4::text[], 1)], CASE WHEN n % 3 = 0 THEN 'D' ELSE 'C' END,
           ($5::text[])[1 + n % 2], 2017 + n % 7, 10000 + (n % 3) * 5000,
           make_date(2017 + n % 7, 10, 15), make_date(2017 + n % 7, 4, 1), make_date(2017 + n % 7, 4, 10),
           make_date(2017 + n % 7, 4, 12), make_date(2017 + n % 7, 4, 20), $6::jsonb, sha256(('digest' || n)::bytea)
         FROM s
         RETURNING id, head_name, approved_yuan, programme_year)
       INSERT INTO household_payments (household_id, position, paid_on, amount_yuan, payee_name, channel)
       SELECT id, 1, make_date(programme_year, 11, 1), approved_yuan, CASE WHEN id % 7 = 3 THEN '他人' ELSE head_name END, '一卡通' FROM ins`,
      [have + from + 10_000_000, n, villages, types, methods, archive],
    );
  }
  return more;
}

/** refreshFlags over every village, as adding a subsidy standard runs it, timed in one transaction. */
export async function timeFlagRefresh(url: string, campaign: Campaign): Promise<{ ms: number; raised: number; resolved: number; households: number }> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    const households = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM households')).rows[0]!.n);
    const t0 = performance.now();
    const r = await db.transaction().execute((trx) => refreshFlags(trx, null, flagSettings(campaign)));
    return { ms: performance.now() - t0, households, ...r };
  } finally {
    await db.destroy();
  }
}

export interface RegisterPage {
  name: string;
  path: string;
  filter: RegisterFilter;
}

export function registerPages(village: string): RegisterPage[] {
  return [
    { name: 'flagged, first page', path: '/staff/households?flag=any', filter: { flag: 'any' } },
    { name: 'flagged, one kind in one village', path: `/staff/households?village=${village}&flag=proxy_payee`, filter: { village, flag: 'proxy_payee' } },
  ];
}

/**
 * The register page's two statements (its page of households and the stored counts) exactly as the
 * app sends them: the repository's own functions run against a driver that records the SQL.
 */
export async function compileRegisterQueries(filter: RegisterFilter, pageSize: number): Promise<{ sql: string; parameters: readonly unknown[] }[]> {
  const compiled: { sql: string; parameters: readonly unknown[] }[] = [];
  const connection = {
    executeQuery: async (q: { sql: string; parameters: readonly unknown[] }) => {
      compiled.push({ sql: q.sql, parameters: q.parameters });
      return { rows: [] };
    },
    streamQuery: () => {
      throw new Error('not used');
    },
  };
  const capture = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => ({
        init: async () => {},
        acquireConnection: async () => connection,
        beginTransaction: async () => {},
        commitTransaction: async () => {},
        rollbackTransaction: async () => {},
        releaseConnection: async () => {},
        destroy: async () => {},
      }),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  await listHouseholds(capture, filter, { size: pageSize });
  await countFlagsByVillage(capture);
  return compiled;
}
