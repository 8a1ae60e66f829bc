import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { generateCode, hashCode } from '../../src/lib/codes.js';
import { CATEGORIES, TYPICAL_FORMS } from '../../src/reports/schema.js';
import { deriveKey } from '../../src/lib/secret.js';
import { seal } from '../../src/lib/seal.js';

// Seeds the bench database directly in SQL, consistently with migrations/001_reports.sql and with
// how the app stores codes (HMAC-SHA256 under the 'tracking-code' key derived from APP_SECRET,
// src/lib/codes.ts + src/lib/secret.ts) and identities (AES-GCM under the 'identity-seal' key). Faster than
// 10,000 API calls, and keeps the seeding out of the app's memory figures. The run then checks that
// the app finds every kept code, which proves the two agree.

const STATUSES = ['received', 'verifying', 'investigating', 'concluded', 'not_accepted', 'transferred'] as const;
const PHRASES = [
  '村干部以协调费的名义收了我家500元，说不交就不给批危房补助。',
  '危房改造补助款到账后被村里统一扣留，至今没有发到户。',
  '评定危房等级时没有入户查看，关系户的房子被评为C级。',
  '补助标准没有公示，同样的房子有的补两万有的补八千。',
  '施工队是村主任亲戚，材料以次充好，验收走过场。',
];
const UPDATES = [
  '您反映的问题已收到，正在核实。',
  '镇纪委已派人入户了解情况。',
  '相关村干部已被约谈，问题正在整改。',
];

function pick<T>(items: readonly T[]): T {
  return items[randomInt(items.length)]!;
}

export interface SeedResult {
  /** Codes (20 digits) the lookups rotate through, spread over the whole table. */
  codes: string[];
  reports: number;
  updates: number;
}

export async function seedReports(
  pool: pg.Pool,
  secret: string,
  villages: readonly string[],
  opts: { reports: number; keep: number },
): Promise<SeedResult> {
  const codeKey = deriveKey(secret, 'tracking-code');
  const identityKey = deriveKey(secret, 'identity-seal');
  const keepEvery = Math.max(1, Math.floor(opts.reports / opts.keep));
  const codes: string[] = [];
  let updates = 0;
  const BATCH = 1000;
  const now = Date.now();
  for (let start = 0; start < opts.reports; start += BATCH) {
    const n = Math.min(BATCH, opts.reports - start);
    const cols = {
      code_hash: [] as Buffer[],
      category: [] as string[],
      typical_form: [] as (string | null)[],
      village: [] as (string | null)[],
      subject: [] as (string | null)[],
      description: [] as string[],
      period_month: [] as (string | null)[],
      amount_yuan: [] as (string | null)[],
      real_name: [] as boolean[],
      identity_sealed: [] as (Buffer | null)[],
      status: [] as string[],
      submitted_at: [] as Date[],
    };
    for (let i = 0; i < n; i++) {
      const code = generateCode();
      if ((start + i) % keepEvery === 0 && codes.length < opts.keep) codes.push(code);
      const category = pick(CATEGORIES);
      const realName = randomInt(10) === 0;
      cols.code_hash.push(hashCode(codeKey, code));
      cols.category.push(category);
      cols.typical_form.push(randomInt(2) ? pick(TYPICAL_FORMS[category]) : null);
      cols.village.push(randomInt(4) ? pick(villages) : null);
      cols.subject.push(randomInt(2) ? '某村干部' : null);
      cols.description.push(`${pick(PHRASES)}${pick(PHRASES)}`);
      cols.period_month.push(randomInt(2) ? `20${17 + randomInt(7)}-${String(1 + randomInt(12)).padStart(2, '0')}-01` : null);
      cols.amount_yuan.push(randomInt(2) ? String(randomInt(100, 50_000)) : null);
      cols.real_name.push(realName);
      cols.identity_sealed.push(realName ? seal(identityKey, JSON.stringify({ name: '张三', phone: '13800138000' })) : null);
      cols.status.push(pick(STATUSES));
      cols.submitted_at.push(new Date(now - randomInt(180 * 24 * 3600) * 1000));
    }
    const ids = await pool.query<{ id: string; status: string; submitted_at: Date }>(
      `INSERT INTO reports (code_hash, category, typical_form, village, subject, description, period_month, amount_yuan,
                            real_name, identity_sealed, status, submitted_at, status_changed_at)
       SELECT h, c, tf, v, s, d, pm, a, rn, ids, st, sa, sa
         FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::numeric[],
                     $9::boolean[], $10::bytea[], $11::text[], $12::timestamptz[])
              AS t(h, c, tf, v, s, d, pm, a, rn, ids, st, sa)
       RETURNING id, status, submitted_at`,
      Object.values(cols),
    );
    // Reports past 'received' carry one or two updates for the reporter, as the status page shows.
    const reportIds: string[] = [];
    const bodies: string[] = [];
    const times: Date[] = [];
    for (const r of ids.rows) {
      if (r.status === 'received') continue;
      for (let k = 0, m = 1 + randomInt(2); k < m; k++) {
        reportIds.push(r.id);
        bodies.push(pick(UPDATES));
        times.push(new Date(r.submitted_at.getTime() + (k + 1) * 86_400_000));
      }
    }
    await pool.query(
      `INSERT INTO report_updates (report_id, body, created_at)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[])`,
      [reportIds, bodies, times],
    );
    updates += reportIds.length;
  }
  await pool.query('ANALYZE');
  return { codes, reports: opts.reports, updates };
}
