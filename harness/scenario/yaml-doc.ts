// A scenario file's YAML turned into data, refusing what YAML allows but a scenario must not: a second document,
// an alias with no anchor before it or inside the value it names (it would never end), aliases that expand past
// the limits (an alias bomb), and numbers that are not finite (.inf, .nan, 1e309). Anchors themselves are welcome:
// reusing a step 500 times is one value each time. (A "__proto__" key becomes an own property, as the YAML library
// writes it; the schema refuses it wherever a key becomes a name.)
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { clip, fmtPath, ScenarioError, type Path } from './error.ts';
import { MAX_EXPANDED_CHARS, MAX_EXPANDED_VALUES } from './limits.ts';

export interface YamlSource {
  doc: Document;
  lines: LineCounter;
  /** The document as plain data; every mapping key is an own property, "__proto__" too. */
  data: unknown;
}

/** Flow nesting beyond this is where a too-deep file is reported; no scenario comes near it. */
const FLOW_DEPTH = 64;

/** The offset of the first [ or { that opens flow nesting deeper than FLOW_DEPTH (quotes and comments skipped). */
function deepFlowAt(text: string): number | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > FLOW_DEPTH) return i;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return null;
}

export function readYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const failAt = (offset: number, path: Path, problem: string, hint?: string): never => {
    const { line, col } = lines.linePos(offset);
    throw new ScenarioError(file, line, col, path.length ? `${fmtPath(path)}: ${problem}` : problem, hint);
  };

  const doc = docs[0] ?? new Document(null);
  const error = doc.errors[0];
  if (error) {
    const msg = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const hint =
      error.code === 'DUPLICATE_KEY'
        ? 'each key may appear once in a mapping'
        : /call stack/i.test(msg)
          ? 'a scenario needs a few levels of nesting, not hundreds'
          : 'check indentation and quoting; YAML uses spaces, not tabs';
    // Where the parser ran out of stack depends on the stack it was given (the CLI's and a test's differ), so a
    // too-deep nesting is placed at its first bracket past FLOW_DEPTH, the same on every run.
    const at = /call stack/i.test(msg) ? (deepFlowAt(text) ?? error.pos[0]) : error.pos[0];
    failAt(
      at,
      [],
      `YAML syntax error: ${/call stack/i.test(msg) ? 'nested too deeply to read' : clip(msg, 200)}`,
      hint,
    );
  }
  if (docs.length > 1) {
    failAt(
      docs[1]!.range[0],
      [],
      `a second YAML document starts here; a scenario file holds one scenario`,
      'remove the "---" line, or split the file into one scenario per file',
    );
  }
  guard(doc, text, failAt);
  // Aliases are bounded by the guard's expanded size, not by the library's count of alias uses.
  return { doc, lines, data: doc.toJS({ maxAliasCount: -1 }) };
}

interface Size {
  values: number;
  chars: number;
}

/** One pass over the document in its own order, so an alias finds the anchor the YAML reader would give it. */
function guard(
  doc: Document,
  text: string,
  failAt: (offset: number, path: Path, problem: string, hint?: string) => never,
): void {
  const anchors = new Map<string, YamlNode>();
  const sizes = new Map<YamlNode, Size>();
  const inside = new Set<YamlNode>();
  const at = (node: unknown, fallback: number) => (node as YamlNode | null)?.range?.[0] ?? fallback;

  const target = (node: YamlNode, path: Path): YamlNode => {
    if (!isAlias(node)) return node;
    const to = anchors.get(node.source);
    if (!to)
      failAt(
        at(node, 0),
        path,
        `alias *${clip(node.source, 40)} has no anchor &${clip(node.source, 40)} before it`,
        `put "&${clip(node.source, 40)}" on an earlier value, or write the value out`,
      );
    if (inside.has(to!))
      failAt(
        at(node, 0),
        path,
        `alias *${clip(node.source, 40)} stands for a value that contains it, so it would never end`,
        'an alias may only name a value outside itself',
      );
    return to!;
  };

  const walk = (node: YamlNode | null, path: Path, from: number): Size => {
    if (!node) return { values: 0, chars: 0 };
    if (isAlias(node)) return sizes.get(target(node, path))!;
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) {
        const range = node.range ?? [from, from];
        failAt(
          range[0],
          path,
          `${clip(text.slice(range[0], range[1]).trim(), 40)} is not a finite number`,
          'write a number like 1000',
        );
      }
      const size = { values: 1, chars: typeof node.value === 'string' ? node.value.length : 0 };
      sizes.set(node, size);
      return size;
    }
    inside.add(node);
    const total: Size = { values: 1, chars: 0 };
    const add = (child: YamlNode | null, childPath: Path, offset: number) => {
      const s = walk(child, childPath, offset);
      total.values += s.values;
      total.chars += s.chars;
      if (total.values <= MAX_EXPANDED_VALUES && total.chars <= MAX_EXPANDED_CHARS) return;
      const over =
        total.values > MAX_EXPANDED_VALUES
          ? `${MAX_EXPANDED_VALUES} values`
          : `${MAX_EXPANDED_CHARS} characters of text`;
      if (isAlias(child)) {
        failAt(
          at(child, offset),
          childPath,
          `alias *${clip(child.source, 40)} makes the file expand past ${over}, the limit`,
          'each alias counts as the value it names: reuse fewer or smaller anchors',
        );
      }
      failAt(
        at(child, offset),
        childPath,
        `the file holds more than ${over}, the limit`,
        'split it into smaller scenarios',
      );
    };
    const start = at(node, from);
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        const key = keyNode ? target(keyNode, path) : null;
        const name = isScalar(key) ? String(key.value) : '?';
        add(keyNode, [...path, name], start);
        add(pair.value as YamlNode | null, [...path, name], at(keyNode, start));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => add(item as YamlNode | null, [...path, i], start));
    }
    inside.delete(node);
    sizes.set(node, total);
    return total;
  };
  walk(doc.contents as YamlNode | null, [], 0);
}
