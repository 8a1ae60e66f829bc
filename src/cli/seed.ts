import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';

// npm run seed -- --leads N --yes
// Adds N synthetic leads (for benchmarks and load tests) in batches of 50,000, spread over the
// last two years, every category, channel and status. Their codes are unknowable (random hashes),
// so they can never be looked up. Fake leads in a real queue would be harmful: it refuses to run
// without --yes.

async function main() {
  const { values } = parseArgs({ options: { leads: { type: 'string' }, yes: { type: 'boolean' } } });
  const total = Number(values.leads);
  if (!Number.isInteger(total) || total < 1 || total > 10_000_000) throw new Error('usage: npm run seed -- --leads N --yes   (1 ≤ N ≤ 10,000,000)');
  if (!values.yes) throw new Error('This adds fake leads to the database. Run again with --yes if that is what you want.');
  const config = loadConfig(process.env);
  const database = await connectDatabase(config.database);
  try {
    await migrate(database.pool);
    const batch = 50_000;
    for (let done = 0; done < total; done += batch) {
      const n = Math.min(batch, total - done);
      await database.pool.query(
        `INSERT INTO reports (code_hash, channel, category, village, description, status, received_at, submitted_at, due_on, priority)
         SELECT code_hash, channel, category, village, description, status, received_at, received_at,
                CASE WHEN status IN ('received', 'verifying', 'investigating') THEN (received_at + interval '21 days')::date END,
                1 + (i % 3)
         FROM (
           SELECT i,
                  sha256(convert_to(clock_timestamp()::text || random()::text || i::text, 'UTF8')) AS code_hash,
                  (ARRAY['web','web','web','hotline','reception','visit','letter','audit','inspection','self_check'])[1 + i % 10] AS channel,
                  (ARRAY['funds','policy','duty','integrity'])[1 + (i / 7) % 4] AS category,
                  (ARRAY['gulu','caoping','wuniu','xindian','yinhua','changshou','other'])[1 + (i / 3) % 7] AS village,
                  '测试线索 ' || i || '：村干部以协调费名义收取危房改造补助户费用，金额约' || (i % 900 + 100) || '元。' AS description,
                  (ARRAY['received','received','verifying','investigating','concluded','concluded','not_accepted','transferred'])[1 + (i / 5) % 8] AS status,
                  now() - (random() * interval '730 days') AS received_at
           FROM generate_series($1::bigint, $2::bigint) AS i
         ) s`,
        [done + 1, done + n],
      );
      console.log(`${done + n} / ${total}`);
    }
    await database.pool.query('ANALYZE reports');
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : (err as Error).message);
  process.exit(1);
});
