import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadCampaign } from '../src/campaign/schema.js';
import { connectDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { readHouseholdRows } from '../src/households/import-file.js';
import { refreshFlags, refreshHouseholdFlags } from '../src/households/repository.js';
import { commitImport, flagSettings, householdKeys } from '../src/households/service.js';
import { insertStaffUser } from '../src/staff/repository.js';
import { registerCsv, seedHouseholds } from './lib/register.js';

// The flag refresh alone (issue 12), on a scratch database of the PostgreSQL server that is created
// and dropped here: an import committed through the service (with the app's driver settings, so
// its 15 s statement timeout), then the register seeded in SQL to each size and refreshFlags timed
// over every village (first raising the flags, then again with nothing to change), over one
// village, and the refresh a one-household change runs.
//   npx tsx bench/flag-refresh.ts [--sizes=20000,100000] [--import-rows=20000] [--admin-url=URL]

const args = Object.fromEntries(process.argv.slice(2).map((a) => /^--([a-z-]+)=(.*)$/.exec(a)?.slice(1, 3) ?? [a, '']));
const sizes = (args.sizes ?? '20000,100000').split(',').map(Number);
const importRows = Number(args['import-rows'] ?? 20_000);
const adminUrl = args['admin-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!['127.0.0.1', 'localhost'].includes(new URL(adminUrl).hostname)) throw new Error('loopback PostgreSQL only');

const campaign = loadCampaign('config/campaign.json');
const settings = flagSettings(campaign);
const keys = householdKeys(randomBytes(32).toString('hex'));
const dbName = `bench_flags_${randomBytes(4).toString('hex')}`;
const url = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const seedPool = new pg.Pool({ connectionString: url, max: 1 });
const app = await connectDatabase({ kind: 'pg', url, poolSize: 2 });
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    const r = await run();
    console.log(`${label}: ${seconds(performance.now() - t0)} ${JSON.stringify(r)}`);
    return r;
  } catch (err) {
    console.log(`${label}: FAILED after ${seconds(performance.now() - t0)}: ${(err as Error).message}`);
    return undefined as T;
  }
}
const count = async () => Number((await seedPool.query<{ n: string }>('SELECT count(*) AS n FROM households')).rows[0]!.n);

try {
  await migrate(seedPool);
  const clerk = await insertStaffUser(app.db, { username: 'bench-clerk', role: 'clerk', email: null, passwordHash: 'unused' });
  if (importRows > 0) {
    const bytes = registerCsv(campaign, 0, importRows);
    async function* rows() {
      for await (const row of readHouseholdRows(bytes, 'csv', campaign)) if ('input' in row) yield row.input;
    }
    await timed(`import commit of ${importRows} CSV rows into an empty register (service, app driver)`, () => commitImport(app.db, keys, settings, clerk.id, rows()));
    // The refresh that commit ended with, again by itself: its share of the commit.
    const ids = (await seedPool.query<{ id: string }>('SELECT id FROM households')).rows.map((r) => r.id);
    await timed(`  its flag refresh alone (refreshHouseholdFlags over the ${ids.length} rows it created)`, () => app.db.transaction().execute((trx) => refreshHouseholdFlags(trx, ids, settings)));
  }
  for (const size of sizes) {
    await seedHouseholds(seedPool, campaign, size);
    await seedPool.query('VACUUM ANALYZE households, household_payments, household_flags');
    const n = await count();
    await timed(`${n} households: refreshFlags(every village), first`, () => app.db.transaction().execute((trx) => refreshFlags(trx, null, settings)));
    await timed(`${n} households: refreshFlags(every village), again`, () => app.db.transaction().execute((trx) => refreshFlags(trx, null, settings)));
    const village = campaign.villages[0]!.id;
    await timed(`${n} households: refreshFlags(one village: ${village})`, () => app.db.transaction().execute((trx) => refreshFlags(trx, [village], settings)));
    const one = (await seedPool.query<{ id: string }>('SELECT max(id) AS id FROM households')).rows[0]!.id;
    await timed(`${n} households: refreshHouseholdFlags(one household, as an edit runs it)`, () => app.db.transaction().execute((trx) => refreshHouseholdFlags(trx, [one], settings)));
  }
} finally {
  await app.close();
  await seedPool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.end();
}
