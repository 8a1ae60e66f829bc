import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { EMBEDDED_SHARED_BUFFERS_MB, type DatabaseConfig } from '../config.js';
import { initdbArgs, initdbTemplate } from './initdb-template.js';
import type { Database } from './schema.js';

// The only module that knows whether the database is a PostgreSQL server (pg) or the embedded
// PGlite. Both are reached through a node-postgres Pool, so queries, type parsing and migrations
// share one code path.

// DATE columns come back as 'YYYY-MM-DD' strings: a calendar date has no time zone, and turning
// it into a JS Date at the server's local midnight would shift it by a day somewhere.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.DATE ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// Every statement with parameters is sent as a named prepared statement, named after its text, so
// each connection parses and plans it once instead of at every call: the app's statements are a
// fixed set (the queue's filters make a few hundred at most), and planning was most of
// PostgreSQL's work per status lookup (docs/PERFORMANCE.md). Two consequences, both accepted: a
// pooler in front must keep prepared statements (PgBouncer in transaction mode only from 1.21), and
// a migration applied while an instance runs may fail its prepared statements of a changed table
// until the connection is replaced (migrations run before the server listens; deploy by restart).
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= 10_000) statementNames.clear();
    name = `s${createHash('sha1').update(text).digest('base64url')}`;
    statementNames.set(text, name);
  }
  return name;
}

class PreparingClient extends pg.Client {
  // Kysely calls query(text, values) and awaits the promise; every other form passes unchanged.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      return super.query({ name: statementName(text), text, values }) as never;
    }
    return (super.query as (...a: unknown[]) => unknown)(...args) as never;
  }
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

export async function connectDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if (config.kind === 'pg') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize,
      // Fail fast during an outage so the visitor sees the 503 page instead of a hanging request.
      connectionTimeoutMillis: 5_000,
      statement_timeout: 15_000,
      types,
      Client: PreparingClient,
    });
    ignoreIdleClientErrors(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, pool, kind: 'pg', close: () => closeBoth(db, pool) };
  }
  return connectPglite(config.dataDir, undefined, config.sharedBuffersMb);
}

/**
 * An in-memory PGlite filled from an archive made by `dumpDataDir`: the tests start each embedded
 * database from one migrated copy instead of running initdb and every migration again.
 */
export function connectPgliteCopy(archive: Blob): Promise<DatabaseHandle> {
  return connectPglite(null, archive);
}

/**
 * A PGlite instance on `dataDir` (in memory when null), with the extensions the migrations need.
 * The caller holds the folder's lock (lockDataDir). `loadDataDir` fills a new folder from an
 * archive made by `dumpDataDir` (src/db/backup.ts); without one, a new folder starts from the
 * bundled initdb template (src/db/initdb-template.ts).
 */
export async function createPglite(dataDir: string | null, loadDataDir?: Blob, sharedBuffersMb = EMBEDDED_SHARED_BUFFERS_MB): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  // pg_trgm serves the queue's text search and similar leads (migrations/008), as on a server.
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const archive = loadDataDir ?? (dataDir && existsSync(join(dataDir, 'PG_VERSION')) ? undefined : initdbTemplate());
  const pglite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    ...(archive ? { loadDataDir: archive } : {}),
    initDbStartParams: initdbArgs(sharedBuffersMb),
    extensions: { pg_trgm },
    // PGlite's own start parameters, plus a page cache sized for a small office's database: the
    // operating system caches the data folder's files as well.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`],
  });
  await pglite.waitReady;
  return pglite;
}

// Kysely ends the pool only if it used it itself: a handle used through `pool` alone (migrate,
// backup) would otherwise keep its connections, and the process, alive.
async function closeBoth(db: Kysely<Database>, pool: pg.Pool): Promise<void> {
  await db.destroy();
  if (!pool.ended) await pool.end();
}

async function connectPglite(dataDir: string | null, loadDataDir?: Blob, sharedBuffersMb?: number): Promise<DatabaseHandle> {
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => {};
  try {
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    const pglite = await createPglite(dataDir, loadDataDir, sharedBuffersMb);
    const pool = new pg.Pool(Object.assign(createPgConfig(pglite), { types }) as pg.PoolConfig);
    ignoreIdleClientErrors(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      pool,
      kind: 'pglite',
      async close() {
        // The pool does not own the PGlite instance: close both, or the process stays alive and
        // the data folder is left unclean.
        await closeBoth(db, pool);
        await pglite.close();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * An idle client whose connection broke (a server restart; with PGlite, an error raised by a
 * statement-level trigger) emits 'error' on the pool; unheard, that would crash the process. The
 * pool drops that client and the next query gets a fresh one.
 */
function ignoreIdleClientErrors(pool: pg.Pool) {
  pool.on('error', () => {});
  // A client checked out by Kysely has no 'error' listener of its own, so a connection lost
  // mid-request would crash the process too. The query still fails (the visitor gets the 503
  // page) and the pool discards the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
}

/**
 * PGlite takes no lock on its data folder and two processes opening it corrupt it, so take one:
 * an exclusive lock file holding our pid. A lock left by a process that no longer runs is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dirname(dataDir), 'pglite.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && holder !== process.pid && isRunning(holder)) {
        throw new Error(`The data folder ${dataDir} is in use by process ${holder}; stop it first.`);
      }
      unlinkSync(lockFile);
    }
  }
  throw new Error(`Could not lock the data folder ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True for errors that mean "the database cannot be reached", as opposed to a bug or bad data. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (typeof e.code === 'string') {
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(e.code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300 (too many connections)
    if (e.code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(e.code)) return true;
  }
  // "driver has already been destroyed" is Kysely's answer once the handle was closed (shutdown,
  // or an embedded database closed under a running app).
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|PGlite is closed|Cannot use a pool after calling end|driver has already been destroyed/i.test(
    e.message ?? '',
  );
}
