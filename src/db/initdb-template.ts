import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A new embedded data folder starts from an empty cluster that PGlite's initdb made ahead of time
// (vendor/pglite-initdb.tar.gz), instead of running initdb at the first start. PGlite's initdb
// runs inside the server's process in a second PostgreSQL instance with a copy of its memory, and
// WebAssembly memory is never given back: a first start peaked at ~780 MB, one from this archive
// at ~290 MB (docs/PERFORMANCE.md). The archive is what PGlite itself loads after its own initdb
// (a dumpDataDir of that instance), so the folders are the same; it holds no secret (trust
// authentication, as every PGlite cluster), only the system identifier is shared by every copy.
//
// The archive belongs to one PGlite version: after an upgrade `npm run pglite-template` makes it
// again, and test/db/initdb-template.test.ts fails until then. A missing, altered or stale archive
// is never used; the first start then runs initdb as before.

const VENDOR = fileURLToPath(new URL('../../vendor/', import.meta.url));
export const TEMPLATE_ARCHIVE = join(VENDOR, 'pglite-initdb.tar.gz');
export const TEMPLATE_META = join(VENDOR, 'pglite-initdb.json');

/** What the archive was made from, written beside it. */
export interface TemplateMeta {
  pglite: string;
  initdbArgs: string[];
  sha256: string;
  /** pg_control_system(): the same in every folder started from this archive. */
  systemIdentifier: string;
}

/**
 * initdb's own options: the shared_buffers of a small office's database, the value the server
 * starts with anyway (createPglite), instead of the 128 MB+ initdb would choose and use while it runs.
 */
export function initdbArgs(sharedBuffersMb: number): string[] {
  return ['-c', `shared_buffers=${sharedBuffersMb}MB`];
}

/** The installed PGlite's version (its package.json, which the package does not export). */
export function installedPgliteVersion(): string {
  const main = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  return (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

export type TemplateCheck = { archive: Blob } | { archive?: undefined; reason: string };

/** The archive if it is whole and made for the installed PGlite, or why not. */
export function checkTemplate(archiveFile = TEMPLATE_ARCHIVE, metaFile = TEMPLATE_META): TemplateCheck {
  let meta: TemplateMeta;
  let bytes: Buffer<ArrayBuffer>;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as TemplateMeta;
    bytes = readFileSync(archiveFile);
  } catch (err) {
    return { reason: `the initdb template cannot be read (${(err as Error).message})` };
  }
  const installed = installedPgliteVersion();
  if (meta.pglite !== installed) {
    return { reason: `the initdb template was made with PGlite ${meta.pglite}, ${installed} is installed: run npm run pglite-template` };
  }
  if (createHash('sha256').update(bytes).digest('hex') !== meta.sha256) {
    return { reason: 'the initdb template does not match its checksum: run npm run pglite-template' };
  }
  return { archive: new Blob([bytes]) };
}

let warned = false;

/** The archive for a new data folder, or undefined (said once on stderr) when initdb must run. */
export function initdbTemplate(): Blob | undefined {
  const check = checkTemplate();
  if (!check.archive && !warned) {
    warned = true;
    process.emitWarning(`${check.reason}; running initdb instead (about 800 MB of memory, once)`);
  }
  return check.archive;
}

/**
 * Runs PGlite's initdb once, in memory, and writes the archive and its description
 * (`npm run pglite-template`). Returns the description.
 */
export async function makeTemplate(sharedBuffersMb: number): Promise<TemplateMeta & { bytes: number }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const args = initdbArgs(sharedBuffersMb);
  const pglite = new PGlite({ initDbStartParams: args });
  try {
    await pglite.waitReady;
    // Written out, so a folder started from the archive needs no recovery.
    await pglite.exec('CHECKPOINT');
    const { rows } = await pglite.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    const bytes = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    const meta: TemplateMeta = {
      pglite: installedPgliteVersion(),
      initdbArgs: args,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      systemIdentifier: rows[0]!.id,
    };
    writeFileSync(TEMPLATE_ARCHIVE, bytes);
    writeFileSync(TEMPLATE_META, `${JSON.stringify(meta, null, 2)}\n`);
    return { ...meta, bytes: bytes.length };
  } finally {
    await pglite.close();
  }
}
