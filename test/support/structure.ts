import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

// The layering rules of ../shared/STYLE.md and issue 16, checked on the source text with the
// TypeScript compiler's parser (no type checking: a parse is fast and sees exactly what is written).
// Every checker (here and in structure-tree.ts) takes the files as data (path → text), so
// test/structure.test.ts can prove each one on a few inline lines as well as run it on the tree.

/** Repository-relative POSIX path (src/audit/service.ts) → the file's text. */
export type Sources = ReadonlyMap<string, string>;

export interface Finding {
  file: string;
  line: number;
  /** What was found, for the failure message. */
  what: string;
  /** The finding without its line number: stable across edits. */
  key: string;
}

/** Every .ts file under `dir` (relative to `root`), keyed by its path from `root`. */
export function readSources(root: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = posix.join(rel, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** Every file under `dir` (relative to `root`) whose name ends in `suffix`, as paths from `root`. */
export function listFiles(root: string, dir: string, suffix: string): string[] {
  return [...readSources(root, dir).keys()].filter((p) => p.endsWith(suffix));
}

/** Findings against an allow-list: the ones it does not name, and its entries nothing matched. */
export const parse = (file: string, text: string) => ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
export const lineOf = (sf: ts.SourceFile, node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;

export function visit(node: ts.Node, fn: (n: ts.Node) => void) {
  fn(node);
  ts.forEachChild(node, (child) => visit(child, fn));
}

/** Kysely's query builders: where a query starts. */
const BUILDERS = new Set(['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'selectNoFrom', 'mergeInto', 'replaceInto']);
const WRITE_BUILDERS = new Set(['insertInto', 'updateTable', 'deleteFrom', 'mergeInto', 'replaceInto']);
// A string that starts like a statement (upper case, as this code base writes SQL) is raw SQL.
const RAW_SQL = /^\s*(SELECT|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|WITH\s+\S+\s+AS|TRUNCATE|CREATE|ALTER|DROP)\b/;
// SQL text that changes rows. UPDATE only with its SET, so that SELECT … FOR UPDATE is a read.
const WRITE_SQL = /\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|TRUNCATE|MERGE\s+INTO)\b/i;

/** The names `sql` goes by in a file: itself, and any alias it is imported from kysely under. */
function sqlNames(sf: ts.SourceFile): Set<string> {
  const names = new Set(['sql']);
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== 'kysely') continue;
    const bindings = st.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings))
      for (const s of bindings.elements) if ((s.propertyName ?? s.name).text === 'sql') names.add(s.name.text);
  }
  return names;
}

/** The literal text of a template (its placeholders as $n), or of a string. */
function literalText(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s, i) => `$${i + 1}${s.literal.text}`)].join('');
  return null;
}

interface SqlUse {
  node: ts.Node;
  what: string;
  writes: boolean;
}

/** What builds SQL in a subtree: builder calls, sql`…` templates, sql.raw/ref/… calls, raw SQL strings. */
function sqlUses(root: ts.Node, names: Set<string>): SqlUse[] {
  const uses: SqlUse[] = [];
  // Text already counted with its sql`…` or sql.raw(…), so as not to count it twice.
  const counted = new Set<ts.Node>();
  visit(root, (n) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const method = n.expression.name.text;
      if (BUILDERS.has(method)) uses.push({ node: n, what: `${method}()`, writes: WRITE_BUILDERS.has(method) });
      else if (ts.isIdentifier(n.expression.expression) && names.has(n.expression.expression.text)) {
        const arg = n.arguments[0];
        const text = arg ? literalText(arg) : null;
        if (arg) counted.add(arg);
        uses.push({ node: n, what: `sql.${method}()`, writes: text !== null && WRITE_SQL.test(text) });
      }
    } else if (ts.isTaggedTemplateExpression(n) && ts.isIdentifier(n.tag) && names.has(n.tag.text)) {
      counted.add(n.template);
      uses.push({ node: n, what: 'sql`…`', writes: WRITE_SQL.test(literalText(n.template) ?? '') });
    } else if (!counted.has(n)) {
      const text = literalText(n);
      if (text !== null && RAW_SQL.test(text)) uses.push({ node: n, what: 'a raw SQL string', writes: WRITE_SQL.test(text) });
    }
  });
  return uses;
}

/** Files allowed to build SQL: repositories, and the database layer itself. */
export const mayBuildSql = (path: string) => path.startsWith('src/db/') || path.endsWith('/repository.ts');

/** Every place a src file other than a repository or src/db/ builds SQL. */
export function sqlOutsideRepositories(sources: Sources): Finding[] {
  const out: Finding[] = [];
  for (const [file, text] of sources) {
    if (!file.startsWith('src/') || mayBuildSql(file)) continue;
    const sf = parse(file, text);
    for (const u of sqlUses(sf, sqlNames(sf))) out.push({ file, line: lineOf(sf, u.node), what: `builds SQL: ${u.what}`, key: file });
  }
  return out;
}

/** A module's top-level functions (declarations, and consts holding an arrow or function expression). */
function topLevelFunctions(sf: ts.SourceFile): Map<string, { body: ts.Node; exported: boolean }> {
  const out = new Map<string, { body: ts.Node; exported: boolean }>();
  const exported = (st: ts.Statement) => ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && st.body) out.set(st.name.text, { body: st.body, exported: exported(st) });
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer)))
          out.set(d.name.text, { body: d.initializer.body, exported: exported(st) });
  }
  // export { a, b as c }: a local function exported under another name counts under that name.
  for (const st of sf.statements)
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause))
      for (const s of st.exportClause.elements) {
        const local = out.get((s.propertyName ?? s.name).text);
        if (local) out.set(s.name.text, { ...local, exported: true });
      }
  return out;
}

/**
 * The exported functions of a repository that write: their body starts an insert, update or delete
 * (a builder, or SQL text that does), or calls another function of the same module that does.
 */
export function writeFunctions(file: string, text: string): Set<string> {
  const sf = parse(file, text);
  const names = sqlNames(sf);
  const fns = topLevelFunctions(sf);
  const writes = new Set<string>();
  const calls = new Map<string, Set<string>>();
  for (const [name, { body }] of fns) {
    if (sqlUses(body, names).some((u) => u.writes)) writes.add(name);
    const called = new Set<string>();
    visit(body, (n) => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && fns.has(n.expression.text)) called.add(n.expression.text);
    });
    calls.set(name, called);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, called] of calls)
      if (!writes.has(name) && [...called].some((c) => writes.has(c))) {
        writes.add(name);
        grew = true;
      }
  }
  return new Set([...writes].filter((name) => fns.get(name)!.exported));
}

/** Where a relative import points among the sources (./x.js → ./x.ts), or null. */
export function resolveImport(sources: Sources, from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`]) if (sources.has(candidate)) return candidate;
  return null;
}

/** A route file (src/routes/**) importing a repository function that writes: writes go through a service. */
export function routeWrites(sources: Sources): Finding[] {
  const writers = new Map<string, Set<string>>();
  for (const [file, text] of sources) if (file.endsWith('/repository.ts')) writers.set(file, writeFunctions(file, text));
  const out: Finding[] = [];
  for (const [file, text] of sources) {
    if (!file.startsWith('src/routes/')) continue;
    const sf = parse(file, text);
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.importClause || st.importClause.isTypeOnly) continue;
      const target = resolveImport(sources, file, st.moduleSpecifier.text);
      const writes = target ? writers.get(target) : undefined;
      if (!target || !writes?.size) continue;
      const found = (name: string, node: ts.Node) =>
        out.push({ file, line: lineOf(sf, node), what: `imports ${name}, which writes (${target})`, key: `${file}: ${name}` });
      const bindings = st.importClause.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const s of bindings.elements) if (!s.isTypeOnly && writes.has((s.propertyName ?? s.name).text)) found((s.propertyName ?? s.name).text, s);
      } else if (bindings && ts.isNamespaceImport(bindings)) {
        const ns = bindings.name.text;
        visit(sf, (n) => {
          if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === ns && writes.has(n.name.text)) found(n.name.text, n);
        });
      }
    }
  }
  return out;
}
