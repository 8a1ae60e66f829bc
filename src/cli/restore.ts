import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { backupKind, restoreEmbedded, restoreServer } from '../db/backup.js';

// npm run restore -- FILE --yes: replaces the database with a backup made by `npm run backup`.
// Stop every server using the database first.

const USAGE = 'usage: npm run restore -- FILE --yes   (replaces the current database with the backup)';

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { yes: { type: 'boolean' } } });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new Error(USAGE);
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  if (!values.yes) throw new Error(`Refusing to replace the current database without --yes.\n${USAGE}`);
  const config = loadConfig(process.env);
  const kind = backupKind(file);
  if (config.database.kind === 'pg') {
    if (kind !== 'pg_dump') throw new Error(`${file} is not a backup of a PostgreSQL server (made with DATABASE_URL set)`);
    await restoreServer(config.database.url, file);
    console.log(`Restored ${file} into the database at DATABASE_URL.`);
  } else {
    if (kind !== 'embedded') throw new Error(`${file} is not a backup of the embedded database (set DATABASE_URL to restore a server backup)`);
    const keptAs = await restoreEmbedded(config.database.dataDir!, file);
    console.log(`Restored ${file} into ${config.database.dataDir}.`);
    if (keptAs) console.log(`The data folder it replaced was kept as ${keptAs}: delete it once you have checked the restore.`);
  }
  console.log('');
  console.log('!! The backup holds no APP_SECRET: start the server with the SAME secret as when it was made,');
  console.log('!! or no tracking code can be verified and no identity or attachment decrypted.');
  if (config.database.kind === 'pglite' && !config.appSecret && !existsSync(join(config.dataDir, 'app-secret'))) {
    console.log(`!! Neither APP_SECRET nor ${join(config.dataDir, 'app-secret')} is set: put the original secret back BEFORE`);
    console.log('!! starting the server, or it will create a new one that opens none of the restored reports.');
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `Restore failed: ${(err as Error).message}`);
  process.exit(1);
});
