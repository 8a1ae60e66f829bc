import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { listFiles, readSources, routeWrites, sqlOutsideRepositories, writeFunctions, type Finding } from './support/structure.js';
import { importCycles, unmirroredTests, type MirrorRules } from './support/structure-tree.js';

// One shape for every change (issue 16, ../shared/STYLE.md): routes parse and render, services own
// transactions and audit rows, only repositories (and src/db/) build SQL, no import goes round in a
// circle, and test/ mirrors src/. The checkers are in test/support/structure.ts
// (layers) and test/support/structure-tree.ts (cycles, mirroring).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const isDirectory = (path: string) => existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isDirectory();

// Where a test may sit other than beside the src folder it tests.
const MIRROR_RULES: MirrorRules = {
  // Tests of the whole app or of the repository as a whole, which no single src folder owns.
  // config.test.ts tests src/config.ts, a file at the top of src/, so it sits at the top of test/.
  wholeApp: [
    'test/anonymity.test.ts', // no IP, user agent or code anywhere: logs, rows, mail, across every route
    'test/compose.test.ts', // the compose file and container build
    'test/config.test.ts', // src/config.ts
    'test/engines.test.ts', // package.json's engines against the lock file
    'test/instances.test.ts', // several app instances sharing PostgreSQL and Redis
    'test/security.test.ts', // headers, CSRF, rate limits and access across both audiences
    'test/structure.test.ts', // this file: the shape of the whole tree
  ],
  otherFolders: {
    // Run the real server as a child process and break what it depends on: the whole app again.
    faults: null,
    // Drive Chromium through journeys that cross public and staff pages.
    browser: null,
    // Tests of the benchmark, which lives in the top-level bench/, not in src/.
    bench: 'bench',
  },
};

/** The rule holds on the tree: every finding is listed in the failure, with file and line. */
function holds(t: Test, findings: Finding[], rule: string) {
  t.same(findings.map((f) => `${f.file}:${f.line} ${f.what}`), [], rule);
}

t.test('the tree', async (t) => {
  const src = readSources(ROOT, 'src');
  t.ok(src.size > 100, `read ${src.size} files from src/`);
  holds(t, sqlOutsideRepositories(src), 'only */repository.ts and src/db/ build SQL');
  holds(t, routeWrites(src), 'routes write through services, never with a repository function');
  holds(t, importCycles(src), 'no import cycle among src files, type-only imports included');
  const tests = listFiles(ROOT, 'test', '.test.ts');
  t.ok(tests.includes('test/structure.test.ts'), `found ${tests.length} test files`);
  holds(t, unmirroredTests(tests, isDirectory, MIRROR_RULES), 'test/X mirrors src/X');
});

// Each checker on a few inline lines, so that a checker that found nothing is known to be able to.

const sources = (files: Record<string, string>) => new Map(Object.entries(files));

t.test('sqlOutsideRepositories catches each way of building SQL, and only outside repositories', async (t) => {
  const found = sqlOutsideRepositories(
    sources({
      'src/things/service.ts': [
        "import { sql as q, type Kysely } from 'kysely';",
        "export const a = (db: Kysely<any>) => db.selectFrom('things').selectAll().execute();",
        "export const b = (db: Kysely<any>) => q<number>`SELECT 1`.execute(db);",
        "export const c = (db: Kysely<any>) => db.deleteFrom('things').execute();",
        "export const d = () => q.raw('now()');",
        "export const e = 'UPDATE things SET n = 1';",
        "export const f = 'Select a village';",
      ].join('\n'),
      'src/things/repository.ts': "export const a = (db: any) => db.insertInto('things').values({}).execute();",
      'src/db/ping.ts': "import { sql } from 'kysely';\nexport const ping = (db: any) => sql`SELECT 1`.execute(db);",
    }),
  );
  t.same(
    found.map((f) => `${f.file}:${f.line} ${f.what}`),
    [
      'src/things/service.ts:2 builds SQL: selectFrom()',
      'src/things/service.ts:3 builds SQL: sql`…`',
      'src/things/service.ts:4 builds SQL: deleteFrom()',
      'src/things/service.ts:5 builds SQL: sql.raw()',
      'src/things/service.ts:6 builds SQL: a raw SQL string',
    ],
  );
});

t.test('routeWrites catches a route importing a writing repository function, and lets reads through', async (t) => {
  const repository = [
    "import { sql, type Kysely } from 'kysely';",
    "export function findThing(db: Kysely<any>) { return db.selectFrom('things').forUpdate().selectAll().execute(); }",
    "export async function addThing(db: Kysely<any>) { await db.insertInto('things').values({}).execute(); }",
    'export const touchThing = (db: Kysely<any>) => sql`UPDATE things SET seen = now()`.execute(db);',
    'export async function addTwo(db: Kysely<any>) { await addThing(db); await addThing(db); }',
    "export const countThings = (db: Kysely<any>) => sql`SELECT count(*) FROM things FOR UPDATE`.execute(db);",
  ].join('\n');
  t.same([...writeFunctions('src/things/repository.ts', repository)].sort(), ['addThing', 'addTwo', 'touchThing'], 'writes, direct or through another function');
  const found = routeWrites(
    sources({
      'src/things/repository.ts': repository,
      'src/routes/staff/things.ts': [
        "import { findThing, addTwo, countThings } from '../../things/repository.js';",
        "import type { touchThing } from '../../things/repository.js';",
        "import * as things from '../../things/repository.js';",
        'export const go = (db: any) => [findThing(db), countThings(db), things.findThing(db), things.touchThing(db)];',
      ].join('\n'),
      'src/things/service.ts': "import { addThing } from './repository.js';",
    }),
  );
  t.same(
    found.map((f) => `${f.file}:${f.line} ${f.key}`),
    ['src/routes/staff/things.ts:1 src/routes/staff/things.ts: addTwo', 'src/routes/staff/things.ts:4 src/routes/staff/things.ts: touchThing'],
    'the route, not the service; a type-only import is no call',
  );
});

t.test('importCycles catches a cycle, type-only imports included', async (t) => {
  const found = importCycles(
    sources({
      'src/app.ts': "import routes from './routes/public/index.js';\nexport interface Ctx { n: number }",
      'src/routes/public/index.ts': "import { helper } from './helper.js';\nexport default helper;",
      'src/routes/public/helper.ts': "import type { Ctx } from '../../app.js';\nexport const helper = (c: Ctx) => c.n;",
      'src/lib/a.ts': "export type A = import('./b.js').B;",
      'src/lib/b.ts': "export type B = string;\nexport { type A } from './a.js';",
      'src/lib/c.ts': "import { x } from './d.js';",
      'src/lib/d.ts': 'export const x = 1;',
    }),
  );
  t.same(
    found.map((f) => f.what),
    [
      'import cycle: src/app.ts → src/routes/public/index.ts → src/routes/public/helper.ts → src/app.ts',
      'import cycle: src/lib/a.ts → src/lib/b.ts → src/lib/a.ts',
    ],
  );
  t.same(found[0]!.key, 'src/app.ts ↔ src/routes/public/helper.ts ↔ src/routes/public/index.ts');
});

t.test('unmirroredTests catches a test folder with no src folder, and a stray top-level test', async (t) => {
  const dirs = new Set(['src/audit', 'src/routes/staff', 'bench']);
  const found = unmirroredTests(
    ['test/audit/service.test.ts', 'test/routes/staff/audit.test.ts', 'test/routes/audit.test.ts', 'test/config.test.ts', 'test/stray.test.ts', 'test/faults/kill.test.ts', 'test/bench/options.test.ts'],
    (p) => dirs.has(p),
    MIRROR_RULES,
  );
  t.same(
    found.map((f) => `${f.file} ${f.what}`),
    ['test/routes/audit.test.ts no src/routes/ beside test/routes/', 'test/stray.test.ts a top-level test that is not on the whole-app list'],
  );
});
