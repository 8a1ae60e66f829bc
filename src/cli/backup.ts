import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { backupEmbedded, backupServer } from '../db/backup.js';

// npm run backup [-- FILE]: the database into one file (pg_dump's custom format for a PostgreSQL
// server, a .tar.gz of the data folder in embedded mode). Never the secret: see the notice below.

const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');

async function main() {
  const { positionals } = parseArgs({ allowPositionals: true });
  if (positionals.length > 1) throw new Error('usage: npm run backup [-- FILE]');
  const config = loadConfig(process.env);
  const server = config.database.kind === 'pg';
  const file = positionals[0] ?? `xiansuo-backup-${stamp()}${server ? '.dump' : '.tar.gz'}`;
  if (existsSync(file)) throw new Error(`${file} already exists; choose another name`);
  if (config.database.kind === 'pg') await backupServer(config.database.url, file);
  else await backupEmbedded(config.database.dataDir!, file);
  console.log(`Backup written to ${file} (${(statSync(file).size / 1024).toFixed(0)} KB).`);
  console.log('');
  console.log('!! APP_SECRET IS NOT IN THIS BACKUP. Keep it safe, separately from the backups: without it');
  console.log('!! no tracking code can be verified and no identity or attachment decrypted after a restore.');
  const secretFile = join(config.dataDir, 'app-secret');
  if (!config.appSecret && existsSync(secretFile)) {
    console.log(`!! This server's secret is the file ${secretFile}, which was NOT included: copy it separately.`);
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `Backup failed: ${(err as Error).message}`);
  process.exit(1);
});
