import type pg from 'pg';

// Synthetic leads for benchmarks and load tests (`npm run seed`, `npm run bench`). Their code hashes
// are random, so no code can ever look them up. The texts are put together from varied phrases so
// that text search and similar-lead lookups meet realistic trigram statistics, not one sentence a
// million times.

const OPENINGS = [
  '村干部以协调费名义收取危房改造补助户费用',
  '危房改造补助款到账后被村里统一扣留',
  '评定危房等级时没有入户查看',
  '补助标准没有公示',
  '施工队是村主任亲戚，材料以次充好',
  '村会计让我们先交押金才给申报',
  '房子明明是D级却被评为B级',
  '补助资金被挪去修村委会办公楼',
  '组长把自己家的旧房报成危房',
  '验收走过场，房子没修完就拨款',
  '村里用补助款请客吃饭',
  '不给好处费就不给签字',
];
const DETAILS = [
  '同村还有好几户也交了，都没有收据',
  '问了几次都说还在走程序',
  '关系户的房子被评为C级',
  '同样的房子有的补两万有的补八千',
  '去年的补助到现在还没发到户',
  '村民意见很大但不敢说',
  '钱是通过微信转给他的',
  '镇上来检查时他们提前打了招呼',
];
const VILLAGES = ['gulu', 'caoping', 'wuniu', 'xindian', 'yinhua', 'changshou', 'other'];
const CHANNELS = ['web', 'web', 'web', 'hotline', 'reception', 'visit', 'letter', 'audit', 'inspection', 'self_check'];
const STATUSES = ['received', 'received', 'verifying', 'investigating', 'concluded', 'concluded', 'not_accepted', 'transferred'];

const arrayLiteral = (items: string[]) => `ARRAY[${items.map((s) => `'${s.replace(/'/g, "''")}'`).join(',')}]`;

/**
 * Adds `total` leads in batches of 50,000, spread over the last two years, every category,
 * village, channel and status; open ones have a due date, one in a thousand has a reporter
 * waiting for an answer. Calls `progress` after each batch, and ANALYZEs at the end.
 */
export async function seedLeads(pool: pg.Pool, total: number, progress: (done: number) => void = () => {}): Promise<void> {
  const batch = 50_000;
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    await pool.query(
      `INSERT INTO reports (code_hash, channel, category, village, description, status, received_at, submitted_at,
                            due_on, priority, attention)
       SELECT code_hash, channel, category, village, description, status, received_at, received_at,
              CASE WHEN status IN ('received', 'verifying', 'investigating') THEN (received_at + interval '21 days')::date END,
              1 + (i % 3), CASE WHEN i % 1000 = 0 THEN 1 ELSE 0 END
       FROM (
         SELECT i,
                sha256(convert_to(clock_timestamp()::text || random()::text || i::text, 'UTF8')) AS code_hash,
                (${arrayLiteral(CHANNELS)})[1 + i % ${CHANNELS.length}] AS channel,
                (ARRAY['funds','policy','duty','integrity'])[1 + (i / 7) % 4] AS category,
                (${arrayLiteral(VILLAGES)})[1 + (i / 3) % ${VILLAGES.length}] AS village,
                (${arrayLiteral(OPENINGS)})[1 + floor(random() * ${OPENINGS.length})::int] || '，' ||
                  (${arrayLiteral(DETAILS)})[1 + floor(random() * ${DETAILS.length})::int] || '，金额约' ||
                  (100 + floor(random() * 9900))::int || '元。' AS description,
                (${arrayLiteral(STATUSES)})[1 + (i / 5) % ${STATUSES.length}] AS status,
                now() - (random() * interval '730 days') AS received_at
         FROM generate_series($1::bigint, $2::bigint) AS i
       ) s`,
      [done + 1, done + n],
    );
    progress(done + n);
  }
  await pool.query('ANALYZE reports');
}
