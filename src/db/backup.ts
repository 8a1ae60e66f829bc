import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, readdirSync, readSync, closeSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPglite, lockDataDir } from './connect.js';

// Backups of the database alone: pg_dump/pg_restore for a PostgreSQL server, one archive of the
// data folder (PGlite's dumpDataDir) for the embedded database. APP_SECRET is never in them: the
// secret file lives beside the data folder, not in it, and the database holds only keyed hashes
// and ciphertext.

/** What an archive holds, from its first bytes. */
export function backupKind(file: string): 'pg_dump' | 'embedded' | 'unknown' {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(5);
  try {
    readSync(fd, head, 0, 5, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'PGDMP') return 'pg_dump';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'embedded';
  return 'unknown';
}

/** The machine's pg_dump/pg_restore: on the PATH, else the newest under /usr/lib/postgresql. */
function pgTool(name: 'pg_dump' | 'pg_restore'): string {
  if (spawnSync(name, ['--version']).status === 0) return name;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', name))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`${name} was not found: install the PostgreSQL client (Debian: apt-get install postgresql-client)`);
  return join(root, newest, 'bin', name);
}

/** libpq takes the password from the environment, so that it never shows in the process list. */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (exit ${code}): ${stderr.trim()}`))));
  });
}

/** Written beside the target and renamed when complete, so a failed run never leaves a truncated backup under its name. */
async function writeComplete(file: string, write: (partial: string) => Promise<void>): Promise<void> {
  const partial = `${file}.partial`;
  try {
    await write(partial);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}

export async function backupServer(url: string, file: string): Promise<void> {
  const { dbname, env } = connection(url);
  await writeComplete(file, (partial) => run(pgTool('pg_dump'), ['--format=custom', `--file=${partial}`, `--dbname=${dbname}`], env));
}

/**
 * Into the database at `url`: objects of the backup that exist there are dropped and recreated,
 * in one transaction, so a failed restore changes nothing. Owners and grants are those of the
 * restoring role.
 */
export async function restoreServer(url: string, file: string): Promise<void> {
  const { dbname, env } = connection(url);
  await run(
    pgTool('pg_restore'),
    ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--dbname=${dbname}`, file],
    env,
  );
}

/**
 * Under the data folder's lock, so it refuses while the server (or any other command) has it
 * open. A checkpoint first, so the copy needs no recovery when restored.
 */
export async function backupEmbedded(dataDir: string, file: string): Promise<void> {
  const release = lockDataDir(dataDir);
  try {
    const pglite = await createPglite(dataDir);
    try {
      await pglite.exec('CHECKPOINT');
      const archive = await pglite.dumpDataDir('gzip');
      await writeComplete(file, async (partial) => writeFile(partial, Buffer.from(await archive.arrayBuffer()), { mode: 0o600 }));
    } finally {
      await pglite.close();
    }
  } finally {
    release();
  }
}

/**
 * Replaces the data folder with the archive's, under its lock. The folder it replaces is kept
 * beside it (returned), never deleted: that is for the operator to do once the restore is checked.
 */
export async function restoreEmbedded(dataDir: string, file: string): Promise<string | null> {
  const archive = new Blob([await readFile(file)]);
  const release = lockDataDir(dataDir);
  try {
    let keptAs: string | null = null;
    if (readdirSync(dataDir).length > 0) {
      keptAs = `${dataDir}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dataDir, keptAs);
    } else {
      rmdirSync(dataDir);
    }
    try {
      const pglite = await createPglite(dataDir, archive);
      try {
        // Opening it is the check: a damaged archive fails here, not at the server's next start.
        await pglite.query('SELECT count(*) FROM reports');
      } finally {
        await pglite.close();
      }
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      if (keptAs) renameSync(keptAs, dataDir);
      throw err;
    }
    return keptAs;
  } finally {
    release();
  }
}
