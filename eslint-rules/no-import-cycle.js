// An ESLint rule: no module imports itself through a circle of other modules, type-only imports included.
// import-x/no-cycle follows value imports only, so a circle closed by `import type` (a renderer reading the types of
// the module that calls it) passed it. Relative specifiers only: packages cannot import the harness back.
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Each file's relative imports, resolved, kept while its mtime holds: a lint run reads each module once. */
const importsCache = new Map();

function importsOf(file) {
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const hit = importsCache.get(file);
  if (hit?.mtimeMs === mtimeMs) return hit.imports;
  // import, import type, export … from, import() and require(), as TypeScript itself finds them.
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const imports = [
    ...new Set(
      importedFiles
        .map((f) => f.fileName)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolve(dirname(file), s)),
    ),
  ];
  importsCache.set(file, { mtimeMs, imports });
  return imports;
}

/** The shortest chain of imports from `start` back to `home`, or null. */
function chainBack(start, home) {
  const from = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const file = queue.shift();
    for (const next of importsOf(file)) {
      if (next === home) {
        const chain = [file];
        for (let f = from.get(file); f; f = from.get(f)) chain.unshift(f);
        return chain;
      }
      if (!from.has(next)) {
        from.set(next, file);
        queue.push(next);
      }
    }
  }
  return null;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid a circle of imports back to the module, type-only imports included' },
    schema: [],
    messages: { cycle: 'Import cycle: {{chain}}.' },
  },
  create(context) {
    const home = context.physicalFilename;
    const cwd = context.cwd;
    const check = (node) => {
      const spec = node.source?.type === 'Literal' ? node.source.value : undefined;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = resolve(dirname(home), spec);
      if (target === home) return;
      const chain = chainBack(target, home);
      if (chain)
        context.report({
          node: node.source,
          messageId: 'cycle',
          data: { chain: [home, ...chain, home].map((f) => relative(cwd, f)).join(' → ') },
        });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
