import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { connectDatabase } from '../../src/db/connect.js';
import { TEMPLATE_ARCHIVE, TEMPLATE_META, checkTemplate, installedPgliteVersion, type TemplateMeta } from '../../src/db/initdb-template.js';
import { migrate } from '../../src/db/migrate.js';

// A new embedded data folder starts from vendor/pglite-initdb.tar.gz instead of PGlite's initdb
// (src/db/initdb-template.ts), as long as the archive is whole and made for the installed PGlite.

const meta = JSON.parse(readFileSync(TEMPLATE_META, 'utf8')) as TemplateMeta;

t.test('the bundled archive is whole and made for the installed PGlite', async (t) => {
  const check = checkTemplate();
  t.equal(meta.pglite, installedPgliteVersion(), 'after a PGlite upgrade, run npm run pglite-template');
  t.ok(check.archive, check.archive ? 'usable' : check.reason);
});

t.test('a stale, altered or missing archive is refused, with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'initdb-template-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const archive = join(dir, 'a.tar.gz');
  const metaFile = join(dir, 'a.json');
  copyFileSync(TEMPLATE_ARCHIVE, archive);

  writeFileSync(metaFile, JSON.stringify({ ...meta, pglite: '0.0.1' }));
  t.match(checkTemplate(archive, metaFile), { archive: undefined, reason: /PGlite 0\.0\.1, .* is installed: run npm run pglite-template/ });

  writeFileSync(metaFile, JSON.stringify(meta));
  t.ok(checkTemplate(archive, metaFile).archive, 'the same files, copied, are accepted');
  const bytes = readFileSync(archive);
  const middle = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(middle) ^ 1, middle);
  writeFileSync(archive, bytes);
  t.match(checkTemplate(archive, metaFile), { archive: undefined, reason: /checksum/ });

  t.match(checkTemplate(join(dir, 'missing.tar.gz'), metaFile), { archive: undefined, reason: /cannot be read/ });
});

t.test('a new data folder is the archive’s cluster, migrated and opened again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'initdb-template-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = { kind: 'pglite' as const, dataDir: join(dir, 'pgdata') };
  const systemIdentifier = async (database: Awaited<ReturnType<typeof connectDatabase>>) =>
    (await sql<{ id: string }>`SELECT system_identifier::text AS id FROM pg_control_system()`.execute(database.db)).rows[0]!.id;

  const first = await connectDatabase(config);
  try {
    t.equal(await systemIdentifier(first), meta.systemIdentifier, 'started from the archive, not from initdb');
    t.ok((await migrate(first.pool)).length > 0, 'the migrations run on it');
    const shared = await first.pool.query<{ v: string }>(`SELECT current_setting('shared_buffers') AS v`);
    t.equal(shared.rows[0]!.v, '16MB');
  } finally {
    await first.close();
  }
  const again = await connectDatabase(config);
  try {
    t.equal(await systemIdentifier(again), meta.systemIdentifier, 'the same cluster on the restart');
    t.same(await migrate(again.pool), [], 'nothing left to apply: the folder was kept, not made again');
  } finally {
    await again.close();
  }
});
