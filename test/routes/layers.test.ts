import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import ts from 'typescript';

// Routes parse, call one service function per change, and render (../shared/STYLE.md, issue 16):
// a change goes through a service, which owns its transaction and audit row. So no route file
// imports a repository's write function — one whose body builds INSERT, UPDATE or DELETE (or
// calls another such function of its file). Reads may go route → repository.

const SRC = resolve('src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const parse = (file: string) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

/** Builds a write in Kysely or in an sql`` text (a row lock, SELECT … FOR UPDATE, is a read). */
const WRITES = /\.(insertInto|updateTable|deleteFrom|mergeInto|replaceInto)\(|\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i;

/** The exported functions of a repository file that write, directly or through one of its own. */
function writeFunctions(file: string): Set<string> {
  const source = parse(file);
  const bodies = new Map<string, string>();
  const exported = new Set<string>();
  const isExported = (n: ts.Node) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const node of source.statements) {
    if (ts.isFunctionDeclaration(node) && node.name && node.body) {
      bodies.set(node.name.text, node.body.getText(source));
      if (isExported(node)) exported.add(node.name.text);
    } else if (ts.isVariableStatement(node)) {
      for (const d of node.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) {
          bodies.set(d.name.text, d.initializer.body.getText(source));
          if (isExported(node)) exported.add(d.name.text);
        }
      }
    }
  }
  const writes = new Set([...bodies].filter(([, body]) => WRITES.test(body)).map(([name]) => name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, body] of bodies) {
      if (!writes.has(name) && [...writes].some((w) => new RegExp(`\\b${w}\\(`).test(body))) {
        writes.add(name);
        grew = true;
      }
    }
  }
  return new Set([...writes].filter((w) => exported.has(w)));
}

/** What a file imports from repository modules: [module file, imported name]. */
function repositoryImports(file: string): [string, string][] {
  const source = parse(file);
  const out: [string, string][] = [];
  for (const node of source.statements) {
    if (!ts.isImportDeclaration(node) || !ts.isStringLiteral(node.moduleSpecifier)) continue;
    const spec = node.moduleSpecifier.text;
    if (!/(^|\/)repository\.js$/.test(spec) || node.importClause?.isTypeOnly) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    const bindings = node.importClause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) out.push([target, '*']);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) if (!el.isTypeOnly) out.push([target, (el.propertyName ?? el.name).text]);
    }
  }
  return out;
}

t.test('the check finds the write functions of a repository', async (t) => {
  const leads = writeFunctions(join(SRC, 'leads/repository.ts'));
  for (const name of ['insertEvent', 'updateLeadIfCurrent', 'insertPublicUpdate', 'scrubToTombstone']) t.ok(leads.has(name), name);
  for (const name of ['findLead', 'findQueuePage', 'listAssignable', 'leadStatistics']) t.notOk(leads.has(name), `${name} reads`);
  t.ok(writeFunctions(join(SRC, 'reports/repository.ts')).has('insertReport'), 'a CTE that inserts');
});

t.test('no route file imports a repository write function', async (t) => {
  const repositories = filesUnder(SRC).filter((f) => /(^|\/)repository\.ts$/.test(f));
  t.ok(repositories.length > 5, 'the repositories are found');
  const writes = new Map(repositories.map((f) => [f, writeFunctions(f)]));
  const found: string[] = [];
  for (const file of filesUnder(join(SRC, 'routes'))) {
    for (const [target, name] of repositoryImports(file)) {
      const w = writes.get(target);
      if (w && (name === '*' ? w.size > 0 : w.has(name))) found.push(`${relative(SRC, file)}: ${name} from ${relative(SRC, target)}`);
    }
  }
  t.same(found, [], 'changes go through a service');
});
