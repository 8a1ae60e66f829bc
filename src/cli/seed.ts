import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { seedLeads } from '../db/seed-leads.js';

// npm run seed -- --leads N --yes
// Adds N synthetic leads for benchmarks and load tests (src/db/seed-leads.ts). Fake leads in a real
// queue would be harmful: it refuses to run without --yes.

async function main() {
  const { values } = parseArgs({ options: { leads: { type: 'string' }, yes: { type: 'boolean' } } });
  const total = Number(values.leads);
  if (!Number.isInteger(total) || total < 1 || total > 10_000_000) throw new Error('usage: npm run seed -- --leads N --yes   (1 ≤ N ≤ 10,000,000)');
  if (!values.yes) throw new Error('This adds fake leads to the database. Run again with --yes if that is what you want.');
  const config = loadConfig(process.env);
  const database = await connectDatabase(config.database);
  try {
    await migrate(database.pool);
    await seedLeads(database.pool, total, (done) => console.log(`${done} / ${total}`));
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : (err as Error).message);
  process.exit(1);
});
