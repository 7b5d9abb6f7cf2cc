// Reads a scenario file and turns every mistake into one line: file:line:col, what was wrong, how to fix it.
// Whatever the file holds, the loader ends in a Scenario or a ScenarioError, never in a stack trace.
import { relative } from 'node:path';
import { isMap, isScalar, type LineCounter, type Document, type Node as YamlNode } from 'yaml';
import type { z as Z } from 'zod';
import { checkBudget } from './budget.ts';
import { clip, describe, fmtPath, names as listed, quote, ScenarioError, type Path } from './error.ts';
import {
  bareSteps,
  expectShape,
  RESERVED_HINT,
  scenarioSchema,
  stepNames,
  stepShape,
  streamItemNames,
  streamItemShape,
  withTimeScale,
  type Scenario,
  type Step,
  type StreamItem,
} from './schema.ts';
import { RESERVED_NAMES } from './limits.ts';
import { FIRST_TAB } from '../timeline.ts';
import { readScenarioText } from './source.ts';
import { readYaml } from './yaml-doc.ts';

export { fmtPath, ScenarioError, type Path };

/** Locates paths inside the parsed document so errors can name a line and column. */
export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  at(path: Path): { line: number; col: number } {
    // Walk down as far as the path exists; a missing key is reported at its parent.
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : (this.doc.getIn(path.slice(0, n), true) as YamlNode | undefined);
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        // Prefer the key of a map entry, which is where a person looks.
        const keyPos = n > 0 ? this.keyOffset(path.slice(0, n)) : undefined;
        const pos = this.lines.linePos(keyPos ?? node.range[0]);
        return { line: pos.line, col: pos.col };
      }
    }
    return { line: 1, col: 1 };
  }

  private keyOffset(path: Path): number | undefined {
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  }
}

export function nearest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

const TYPE_WORDS: Record<string, string> = {
  int: 'a whole number',
  array: 'a list',
  record: 'a mapping',
  object: 'a mapping',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

/** Words from zod's own messages ("Too big: expected number to be <=10") are ours to write; a schema's are hints. */
const ownHint = (message: string) => (/^(Too (big|small)|Invalid)\b/.test(message) ? undefined : message);

export function loadScenarioFile(file: string, cwd = process.cwd()): Scenario {
  const shown = relative(cwd, file) || file;
  return guarded(shown, () => parseScenario(readScenarioText(file, shown), shown));
}

/** Runs `read`; an exception it did not mean to throw becomes one ScenarioError line that names the file. */
export function guarded<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    throw ScenarioError.internal(file, e);
  }
}

export function parseScenario(text: string, file: string): Scenario {
  // A lone CR ends a line in YAML as in old Mac files; the reader would otherwise see one long comment line.
  const { doc, lines, data } = readYaml(text.replace(/\r(?!\n)/g, '\n'), file);
  // Checked below, key by key, before any of it is used.
  const raw = data as ReturnType<Document['toJS']>;
  const src = new SourceMap(doc, lines);
  const fail = (path: Path, problem: string, hint?: string): never => {
    const { line, col } = src.at(path);
    throw new ScenarioError(file, line, col, path.length ? `${fmtPath(path)}: ${problem}` : problem, hint);
  };

  if (raw === null || raw === undefined)
    fail(
      [],
      'the file is empty: a scenario is a mapping with name, streams and steps',
      'see scenarios/switch-return.yaml',
    );
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail(
      [],
      `a scenario is a mapping with name, streams and steps; got ${describe(raw)}`,
      'see scenarios/switch-return.yaml',
    );
  }

  // Top level: unknown keys first, so a typo reads as a typo rather than a missing key.
  const top = scenarioSchema.shape;
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(top, key)) {
      const guess = nearest(key, Object.keys(top));
      fail(
        [key],
        `unknown key ${quote(key)}`,
        guess ? `did you mean "${guess}"?` : `allowed keys: ${Object.keys(top).join(', ')}`,
      );
    }
  }
  zodCheck(scenarioSchema, raw, [], fail);

  const streams: Record<string, StreamItem[]> = {};
  for (const [name, items] of Object.entries(raw.streams as Record<string, unknown[]>)) {
    // Before the name becomes a key: assigning to "__proto__" would replace the object's prototype instead.
    if (RESERVED_NAMES.includes(name)) fail(['streams', name], `${quote(name)} is a reserved name`, RESERVED_HINT);
    streams[name] = items.map(
      (item, i) =>
        oneOf(
          'stream item',
          streamItemShape,
          streamItemNames,
          [],
          'tokens: { count: 50 }',
          item,
          ['streams', name, i],
          fail,
        ) as StreamItem,
    );
    streams[name].forEach((item, i) => {
      if (
        ('tokens' in item && !item.tokens.count && !item.tokens.text) ||
        ('burst' in item && !item.burst.count && !item.burst.text)
      ) {
        fail(
          ['streams', name, i],
          'tokens need either count or text',
          'write { count: 50 } or { text: "Hello there" }',
        );
      }
      if ('tokens' in item && item.tokens.count && item.tokens.text) {
        fail(['streams', name, i], 'give tokens either count or text, not both');
      }
    });
  }

  const steps = parseSteps(raw.steps as unknown[], ['steps'], fail);
  refuseProtoKeys(raw, [], fail);
  const scenario: Scenario = {
    name: raw.name,
    description: raw.description,
    catches: raw.catches,
    ui: raw.ui,
    server: raw.server,
    settle: raw.settle,
    streams,
    steps,
    expect: raw.expect ?? { liveStreams: {} },
    file,
  };
  checkMeaning(scenario, fail);
  const scaled = raw.timeScale === undefined ? scenario : withTimeScale(scenario, raw.timeScale);
  checkBudget(scaled, fail);
  return scaled;
}

export type Fail = (path: Path, problem: string, hint?: string) => never;

/** The object schema found by following a value path through a schema (for "allowed keys" hints). */
function objectKeysAt(schema: Z.ZodType, path: Path): string[] {
  let s: unknown = schema;
  // Optional and default wrappers are looked through; an array is not (its unwrap() is its element: the path says).
  const unwrap = () => {
    for (
      let i = 0;
      i < 5 &&
      s &&
      typeof (s as { unwrap?: unknown }).unwrap === 'function' &&
      (s as { def?: { type?: string } }).def?.type !== 'array';
      i++
    )
      s = (s as { unwrap(): unknown }).unwrap();
  };
  for (const key of path) {
    unwrap();
    const def = (
      s as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown } }
    ).def;
    if (def?.type === 'object' && typeof key === 'string') s = def.shape?.[key];
    else if (def?.type === 'array') s = def.element;
    else if (def?.type === 'record') s = def.valueType;
    else return [];
  }
  unwrap();
  const def = (s as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

export function zodCheck(schema: Z.ZodType, value: unknown, base: Path, fail: Fail): void {
  const r = schema.safeParse(value);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const rel = issue.path as Path;
  const path = [...base, ...rel];
  const got = rel.reduce<unknown>(
    (v, k) =>
      v && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<string | number, unknown>)[k] : undefined,
    value,
  );
  if (typeof got === 'number' && !Number.isFinite(got))
    fail(path, `${got} is not a finite number`, 'write a number like 1000');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const allowed = objectKeysAt(schema, rel);
      const guess = nearest(key, allowed);
      fail(
        [...path, key],
        `unknown key ${quote(key)}`,
        guess ? `did you mean "${guess}"?` : `allowed here: ${allowed.join(', ')}`,
      );
      break;
    }
    case 'invalid_type':
      if (got === undefined)
        fail(
          path,
          `missing "${path[path.length - 1]}" (${TYPE_WORDS[issue.expected] ?? issue.expected} expected)`,
          `add "${path[path.length - 1]}:"${path.length > 1 ? ` under ${fmtPath(path.slice(0, -1))}` : ' at the top level'}`,
        );
      fail(path, `expected ${TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`}, got ${describe(got)}`);
      break;
    case 'too_small':
      if (issue.origin === 'array')
        fail(
          path,
          `${Array.isArray(got) && got.length === 0 ? 'the list is empty' : 'too few items'}: at least ${issue.minimum} needed`,
        );
      fail(
        path,
        `${describe(got)} is too small: must be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`,
        typeof got === 'number' && got < 0
          ? 'durations, budgets and counts cannot be negative'
          : ownHint(issue.message),
      );
      break;
    case 'too_big':
      if (issue.origin === 'string' || issue.origin === 'array')
        fail(path, `too long: at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'items'}`);
      fail(
        path,
        `${describe(got)} is too big: must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`,
        ownHint(issue.message),
      );
      break;
    case 'invalid_key': {
      // A mapping key the record refuses (a stream name): the key's own issue says why.
      const inner = issue.issues[0];
      const key = String(path[path.length - 1]);
      const hint = inner?.code === 'custom' ? (inner.params as { hint?: string } | undefined)?.hint : undefined;
      fail(
        path,
        `${quote(key)} ${inner?.code === 'custom' ? inner.message : `is not a valid name: ${inner?.message ?? 'refused'}`}`,
        hint,
      );
      break;
    }
    case 'custom':
      // A schema's own rule (a reserved name): its message follows the value, its params carry the fix.
      fail(path, `${describe(got)} ${issue.message}`, (issue.params as { hint?: string } | undefined)?.hint);
      break;
    case 'invalid_value':
      fail(path, `got ${describe(got)}, expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`);
      break;
    default:
      fail(
        path,
        `${issue.message.replace(/^Invalid input: /, '')}${got !== undefined ? `, got ${describe(got)}` : ''}`,
      );
  }
}

/** A step or stream item is a mapping with exactly one known key, or a bare word for argument-less ones. */
function oneOf(
  what: string,
  shape: Record<string, Z.ZodType>,
  names: readonly string[],
  bare: readonly string[],
  example: string,
  value: unknown,
  path: Path,
  fail: Fail,
): Record<string, unknown> {
  if (typeof value === 'string') {
    if (bare.includes(value)) return { [value]: {} };
    const guess = nearest(value, names);
    fail(path, `unknown ${what} ${quote(value)}`, guess ? `did you mean "${guess}"?` : `known: ${names.join(', ')}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(
      path,
      `a ${what} is ${bare.length ? `a word like "- ${bare[0]}" or ` : ''}a mapping with one key like "- ${example}"; got ${describe(value)}`,
    );
  }
  const keys = Object.keys(value as object);
  if (keys.length !== 1) {
    fail(
      path,
      `a ${what} has exactly one key, got ${keys.length ? listed(keys) : 'none'}`,
      'put each on its own "- " line',
    );
  }
  const key = keys[0]!;
  // Own keys only: "constructor" or "toString" is in every object, and no step.
  if (!Object.hasOwn(shape, key)) {
    const guess = nearest(key, names);
    fail(
      [...path, key],
      `unknown ${what} ${quote(key)}`,
      guess ? `did you mean "${guess}"?` : `known: ${names.join(', ')}`,
    );
  }
  const arg = (value as Record<string, unknown>)[key];
  zodCheck(shape[key]!, arg === null && bare.includes(key) ? {} : arg, [...path, key], fail);
  return { [key]: arg === null && bare.includes(key) ? {} : arg };
}

function parseSteps(items: unknown[], base: Path, fail: Fail): Step[] {
  return items.map((item, i) => {
    const step = oneOf('step', stepShape, stepNames, bareSteps, 'newChat: a', item, [...base, i], fail) as Step;
    if ('repeat' in step) {
      return {
        repeat: {
          times: step.repeat.times,
          steps: parseSteps(step.repeat.steps as unknown[], [...base, i, 'repeat', 'steps'], fail),
        },
      };
    }
    if ('waitFor' in step) {
      const conds = ['tokens', 'moreTokens', 'complete', 'runEnded', 'connections'].filter((k) => k in step.waitFor);
      if (conds.length !== 1) {
        fail(
          [...base, i, 'waitFor'],
          `waitFor needs exactly one condition, got ${conds.length ? conds.join(' and ') : 'none'}`,
          'use one of tokens, moreTokens, complete, runEnded, connections',
        );
      }
    }
    return step;
  });
}

/**
 * A "__proto__" key nothing above named (in a free-form mapping: open.query, event.data, endpoints) is refused
 * too: the data keeps it as an own key, but one copy by assignment anywhere later would replace a prototype.
 */
function refuseProtoKeys(v: unknown, path: Path, fail: Fail, seen = new Set<object>()): void {
  if (!v || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v)) return v.forEach((x, i) => refuseProtoKeys(x, [...path, i], fail, seen));
  for (const [k, x] of Object.entries(v)) {
    if (k === '__proto__') fail([...path, k], '"__proto__" is a reserved name', 'pick another name');
    refuseProtoKeys(x, [...path, k], fail, seen);
  }
}

/** Checks that need the whole file: names refer to things that exist, in order. */
function checkMeaning(s: Scenario, fail: Fail): void {
  const known = new Set<string>();
  const tabs = new Set([FIRST_TAB]);
  let opened = false;
  const walk = (steps: Step[], base: Path, repeated = false) =>
    steps.forEach((step, i) => {
      const at = [...base, i];
      const needSession = (name: string | undefined, key: string, sub?: string) => {
        if (name !== undefined && !known.has(name)) {
          fail(
            sub ? [...at, key, sub] : [...at, key],
            `session ${quote(name)} is not created by an earlier newChat`,
            `add "- newChat: ${clip(name)}" before this step`,
          );
        }
      };
      if (!('open' in step) && !opened)
        fail(at, 'the first step must be "open" (load the chat UI)', 'start steps with "- open"');
      if ('open' in step) opened = true;
      if ('newChat' in step) {
        if (known.has(step.newChat))
          fail(
            [...at, 'newChat'],
            `session ${quote(step.newChat)} is already created`,
            'give each new chat its own name',
          );
        known.add(step.newChat);
      }
      if ('send' in step) {
        needSession(step.send.session, 'send', 'session');
        if (!Object.hasOwn(s.streams, step.send.stream)) {
          const guess = nearest(step.send.stream, Object.keys(s.streams));
          fail(
            [...at, 'send', 'stream'],
            `stream ${quote(step.send.stream)} is not defined under streams:`,
            guess ? `did you mean "${guess}"?` : `defined: ${listed(Object.keys(s.streams))}`,
          );
        }
      }
      if ('switchTo' in step) needSession(step.switchTo, 'switchTo');
      if ('waitFor' in step) needSession(step.waitFor.session, 'waitFor', 'session');
      if ('openTab' in step) {
        if (repeated)
          fail(
            [...at, 'openTab'],
            `openTab inside a repeat would open tab ${quote(step.openTab)} again at the next repetition`,
            `open the tab before the repeat and switch to it inside with "- switchTab: ${clip(step.openTab)}"`,
          );
        if (tabs.has(step.openTab))
          fail(
            [...at, 'openTab'],
            `tab ${quote(step.openTab)} is already open${step.openTab === FIRST_TAB ? ': it is the first tab' : ''}`,
            'give each new tab its own name',
          );
        tabs.add(step.openTab);
      }
      if ('switchTab' in step && !tabs.has(step.switchTab))
        fail(
          [...at, 'switchTab'],
          `tab ${quote(step.switchTab)} is not opened by an earlier openTab`,
          `add "- openTab: ${clip(step.switchTab)}" before this step, or switch to "${FIRST_TAB}", the first tab`,
        );
      if ('repeat' in step) walk(step.repeat.steps, [...at, 'repeat', 'steps'], repeated || step.repeat.times > 1);
    });
  walk(s.steps, ['steps']);
  for (const key of Object.keys(s.expect)) {
    if (!Object.hasOwn(expectShape, key)) fail(['expect', key], `unknown oracle ${quote(key)}`);
  }
}
