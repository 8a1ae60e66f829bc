import { posix } from 'node:path';
import ts from 'typescript';
import { lineOf, parse, resolveImport, visit, type Finding, type Sources } from './structure.js';

// The tree's shape beyond its layers: import cycles among src files, and test/ mirroring src/
// (checked by test/structure.test.ts; the layer checks are in structure.ts).

/** Every module a file imports, type-only ones included: import/export … from, import('…') and import('…').T. */
function importsOf(sources: Sources, file: string, text: string): { target: string; line: number }[] {
  const sf = parse(file, text);
  const out: { target: string; line: number }[] = [];
  const add = (spec: ts.Node | undefined, at: ts.Node) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    const target = resolveImport(sources, file, spec.text);
    if (target) out.push({ target, line: lineOf(sf, at) });
  };
  visit(sf, (n) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) add(n.moduleSpecifier, n);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0], n);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) add(n.argument.literal, n);
  });
  return out;
}

/** Import cycles among src files, one finding per strongly connected set of files (Tarjan). */
export function importCycles(sources: Sources): Finding[] {
  const files = [...sources.keys()].filter((f) => f.startsWith('src/')).sort();
  const edges = new Map(files.map((f) => [f, importsOf(sources, f, sources.get(f)!).filter((e) => e.target.startsWith('src/'))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const strongConnect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const { target: w } of edges.get(v)!) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || edges.get(v)!.some((e) => e.target === v)) groups.push(group.sort());
    }
  };
  for (const f of files) if (!index.has(f)) strongConnect(f);
  return groups.sort((a, b) => a[0]!.localeCompare(b[0]!)).map((group) => {
    // One cycle through the group's first file, for the message: a shortest way back to it.
    const start = group[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    let back: { from: string; line: number } | null = null;
    while (queue.length && !back) {
      const v = queue.shift()!;
      for (const e of edges.get(v)!) {
        if (e.target === start) {
          back = { from: v, line: e.line };
          break;
        }
        if (group.includes(e.target) && !previous.has(e.target)) {
          previous.set(e.target, v);
          queue.push(e.target);
        }
      }
    }
    const path = [start];
    for (let v = back!.from; v !== start; v = previous.get(v)!) path.splice(1, 0, v);
    const line = edges.get(start)!.find((e) => e.target === (path[1] ?? start))!.line;
    return { file: start, line, what: `import cycle: ${[...path, start].join(' → ')}`, key: group.join(' ↔ ') };
  });
}

/** How test/ may sit beside src/ (see test/structure.test.ts for the reasons). */
export interface MirrorRules {
  /** Top-level test files allowed at test/ itself. */
  wholeApp: readonly string[];
  /** Folders of test/ that mirror no src folder, with what they hold instead (a top-level folder, or none). */
  otherFolders: Readonly<Record<string, string | null>>;
}

/** A test file test/X/Y.test.ts whose folder X has no src/X (nor is an exception). */
export function unmirroredTests(testFiles: readonly string[], isDirectory: (path: string) => boolean, rules: MirrorRules): Finding[] {
  const out: Finding[] = [];
  for (const file of testFiles) {
    const dir = posix.dirname(file.replace(/^test\//, ''));
    const found = (what: string) => out.push({ file, line: 1, what, key: file });
    if (dir === '.') {
      if (!rules.wholeApp.includes(file)) found('a top-level test that is not on the whole-app list');
      continue;
    }
    const top = dir.split('/')[0]!;
    if (top in rules.otherFolders) {
      const folder = rules.otherFolders[top];
      if (folder && !isDirectory(folder)) found(`test/${top}/ mirrors ${folder}/, which does not exist`);
    } else if (!isDirectory(`src/${dir}`)) found(`no src/${dir}/ beside test/${dir}/`);
  }
  return out;
}
