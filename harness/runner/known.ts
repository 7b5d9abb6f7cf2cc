// Known findings (--known FILE): failures a gate accepts for now, each with its reason and an optional expiry date.
// A failing verdict an entry in force lists does not fail the gate; the run is reported "known" with the reason. An
// entry past its date no longer excuses, and says so; one that matched nothing is reported stale, to be removed.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import { BROWSERS } from '../driver/index.ts';
import type { KnownMark, Verdict } from '../oracles/types.ts';
import { fmtPath, nearest, SourceMap, zodCheck, type Path } from '../scenario/loader.ts';
import { oracleNames } from '../scenario/schema.ts';
import { ScenarioError } from '../scenario/error.ts';
import { readYaml, type YamlSource } from '../scenario/yaml-doc.ts';
import type { ScenarioResult } from './run.ts';
import { oneLine } from '../printable.ts';

/** Oracles an entry may name: the scenario oracles, plus failed steps and the baseline comparison. */
export const KNOWN_ORACLES: readonly string[] = [...oracleNames, 'steps', 'baseline'];

const entrySchema = z
  .object({
    scenario: z.string().min(1).describe('the scenario, by its name: field (e.g. hidden-polling)'),
    browser: z
      .string()
      .min(1)
      .optional()
      .describe(`the browser (${BROWSERS.join(', ')}); absent: any browser`),
    oracle: z
      .string()
      .min(1)
      .describe(`the failing oracle: ${KNOWN_ORACLES.join(', ')}`),
    match: z
      .string()
      .min(1)
      .optional()
      .describe(
        "text the failure's sentence must contain, so the entry excuses this finding of the oracle and no other",
      ),
    reason: z.string().min(1).describe('why the failure is accepted for now (the issue that tracks it)'),
    expires: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2027-01-31')
      .optional()
      .describe('the last day (UTC) the entry excuses the failure; after it the failure fails the gate again'),
  })
  .strict();

export const knownFileSchema = z
  .object({ known: z.array(entrySchema).describe('one entry per accepted failure') })
  .strict()
  .describe('sse-harness known findings (--known)');

export function knownJsonSchema(): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(knownFileSchema, { unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  // Editors complete browser and oracle names from these lists; the loader checks them itself, to name the nearest.
  const entry = (rest as { properties: { known: { items: { properties: Record<string, Record<string, unknown>> } } } })
    .properties.known.items.properties;
  entry.browser = { ...entry.browser, enum: [...BROWSERS] };
  entry.oracle = { ...entry.oracle, enum: [...KNOWN_ORACLES] };
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'sse-harness known findings', ...rest };
}

/** What became of an entry in a run, as the JSON report's gate lists it. */
export const knownStatusSchema = z
  .object({
    scenario: z.string(),
    browser: z.string().optional(),
    oracle: z.string(),
    match: z.string().optional(),
    reason: z.string(),
    expires: z.string().optional(),
    /** Where the entry is: file:line. */
    source: z.string(),
    /**
     * excused: it matched failures and excused them; expired: it matched failures but is past its date, so they
     * failed the gate; stale: its scenario ran and the oracle was judged, and no failure matched (fixed? remove it);
     * unjudged: no run of its scenario (and browser) judged that oracle this time.
     */
    status: z.enum(['excused', 'expired', 'stale', 'unjudged']),
    /** Failing verdicts it matched, over every attempt. */
    matched: z.number().int().nonnegative(),
  })
  .strict();
export type KnownStatus = Z.infer<typeof knownStatusSchema>;
/** An entry of a known-findings file, with where it is. */
export type KnownEntry = Omit<KnownStatus, 'status' | 'matched'>;

/** Reads and checks a known-findings file (YAML or JSON); every mistake is one sentence with file:line:col and a fix. */
export function loadKnownFile(file: string, cwd = process.cwd()): KnownEntry[] {
  const shown = relative(cwd, file) || file;
  if (!existsSync(file))
    throw new Error(
      `sse-harness: --known ${shown}: no such file. Give a YAML or JSON file with the accepted failures listed under "known:" (docs/cli.md: Known findings).`,
    );
  if (statSync(file).isDirectory())
    throw new Error(
      `sse-harness: --known ${shown}: a folder, not a file. Give the YAML or JSON file that lists the known findings.`,
    );
  return parseKnown(readFileSync(file, 'utf8'), shown);
}

export function parseKnown(text: string, file: string): KnownEntry[] {
  // The scenario reader's YAML guard: one document, no alias bombs or dangling aliases, finite numbers.
  let yaml: YamlSource;
  try {
    yaml = readYaml(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new Error(`sse-harness: ${e.message}`, { cause: e });
    throw e;
  }
  const { doc, lines } = yaml;
  const where = (line: number, col: number) => `sse-harness: ${file}:${line}:${col}`;
  const src = new SourceMap(doc, lines);
  const fail = (path: Path, problem: string, hint?: string): never => {
    const { line, col } = src.at(path);
    throw new Error(
      `${where(line, col)}: ${path.length ? `${fmtPath(path)}: ` : ''}${problem}${hint ? ` (hint: ${hint})` : ''}`,
    );
  };
  const raw = yaml.data;
  if (raw === null || raw === undefined)
    fail(
      [],
      'the file is empty: it needs a list of entries under "known:"',
      'start with "known:" and one "- { scenario, oracle, reason }" per line',
    );
  if (typeof raw !== 'object' || Array.isArray(raw))
    fail(
      [],
      'a known-findings file is a mapping with a list under "known:"',
      'start with "known:" and one "- { scenario, oracle, reason }" per line',
    );
  zodCheck(knownFileSchema, raw, [], fail);
  const entries = (raw as { known: Omit<KnownEntry, 'source'>[] }).known;
  return entries.map((e, i) => {
    const at = ['known', i];
    if (e.browser !== undefined && !(BROWSERS as readonly string[]).includes(e.browser)) {
      const guess = nearest(e.browser, BROWSERS);
      fail(
        [...at, 'browser'],
        `unknown browser "${e.browser}"`,
        guess
          ? `did you mean "${guess}"? Leave browser out for any browser`
          : `known: ${BROWSERS.join(', ')}; leave browser out for any browser`,
      );
    }
    if (!KNOWN_ORACLES.includes(e.oracle)) {
      const guess = nearest(e.oracle, KNOWN_ORACLES);
      fail(
        [...at, 'oracle'],
        `unknown oracle "${e.oracle}"`,
        guess ? `did you mean "${guess}"?` : `known: ${KNOWN_ORACLES.join(', ')}`,
      );
    }
    if (e.expires !== undefined) {
      const [y, m, d] = e.expires.split('-').map(Number) as [number, number, number];
      const date = new Date(Date.UTC(y, m - 1, d));
      if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
        fail([...at, 'expires'], `${e.expires} is not a date`, 'write the last day the entry holds, like 2027-01-31');
    }
    return { ...e, source: `${file}:${src.at(at).line}` };
  });
}

/**
 * The run failed, and every failing verdict carries the mark of an entry in force: what KnownFindings.excuses said
 * when the run was judged, read back from a result (merge-reports judges shards' results this way).
 */
export function excusedByMarks(r: ScenarioResult): boolean {
  const failing = r.verdicts.filter((v) => !v.pass);
  return r.verdict === 'fail' && failing.length > 0 && failing.every((v) => v.known !== undefined && !v.known.expired);
}

/** Today as YYYY-MM-DD in UTC: an entry holds through its expiry day. */
export const todayUtc = (now = new Date()) => now.toISOString().slice(0, 10);

export class KnownFindings {
  private readonly matches = new Map<KnownEntry, number>();

  constructor(
    readonly file: string,
    readonly entries: KnownEntry[],
    private readonly today = todayUtc(),
  ) {}

  expired(e: KnownEntry): boolean {
    return e.expires !== undefined && e.expires < this.today;
  }

  private lists(e: KnownEntry, r: ScenarioResult, v: Verdict): boolean {
    return (
      e.scenario === r.scenario &&
      (e.browser === undefined || e.browser === r.browser) &&
      e.oracle === v.oracle &&
      (e.match === undefined || v.summary.includes(e.match))
    );
  }

  /** The entry that lists this failing verdict: one in force if any, else an expired one. */
  entryFor(r: ScenarioResult, v: Verdict): KnownEntry | undefined {
    const all = this.entries.filter((e) => this.lists(e, r, v));
    return all.find((e) => !this.expired(e)) ?? all[0];
  }

  /** The run failed, and only in ways entries in force list (a harness error is never excused). */
  excuses(r: ScenarioResult): boolean {
    const failing = r.verdicts.filter((v) => !v.pass);
    return (
      r.verdict === 'fail' &&
      failing.length > 0 &&
      failing.every((v) => {
        const e = this.entryFor(r, v);
        return e !== undefined && !this.expired(e);
      })
    );
  }

  /** Marks every failing verdict an entry lists, in the run and its earlier attempts, and counts the matches. */
  annotate(r: ScenarioResult): void {
    for (const a of [...(r.attempts ?? []), r]) {
      for (const v of a.verdicts) {
        if (v.pass) continue;
        const e = this.entryFor(a, v);
        if (!e) continue;
        this.matches.set(e, (this.matches.get(e) ?? 0) + 1);
        const mark: KnownMark = {
          reason: e.reason,
          source: e.source,
          expired: this.expired(e),
          ...(e.expires ? { expires: e.expires } : {}),
        };
        v.known = mark;
      }
    }
  }

  /** Each entry's status after the run, in file order. */
  statuses(results: ScenarioResult[]): KnownStatus[] {
    return this.entries.map((e) => {
      const matched = this.matches.get(e) ?? 0;
      const runs = results
        .flatMap((r) => [...(r.attempts ?? []), r])
        .filter(
          (r) =>
            r.scenario === e.scenario && (e.browser === undefined || e.browser === r.browser) && r.verdict !== 'error',
        );
      const judged = runs.some((r) =>
        e.oracle === 'steps' ? !r.stoppedEarly : r.verdicts.some((v) => v.oracle === e.oracle),
      );
      const status: KnownStatus['status'] = matched
        ? this.expired(e)
          ? 'expired'
          : 'excused'
        : judged
          ? 'stale'
          : 'unjudged';
      return { ...e, status, matched };
    });
  }
}

/** The entry as one line: "hidden-polling · chromium · hiddenPolling". */
export const entryLabel = (e: Pick<KnownEntry, 'scenario' | 'browser' | 'oracle' | 'match'>) =>
  `${e.scenario} · ${e.browser ?? 'any browser'} · ${e.oracle}${e.match ? ` "${e.match}"` : ''}`;

/** Lines for the terminal after the verdict table. */
export function knownLines(file: string, statuses: KnownStatus[]): string[] {
  if (!statuses.length) return [];
  const lines = [`known findings (${file}):`];
  for (const s of statuses) {
    const until = s.expires ? `, until ${s.expires}` : '';
    if (s.status === 'excused')
      lines.push(
        `  ✓ ${entryLabel(s)}: ${s.reason}${until} (excused ${s.matched} failure${s.matched === 1 ? '' : 's'})`,
      );
    else if (s.status === 'expired')
      lines.push(
        `  ✗ ${entryLabel(s)}: expired ${s.expires}, no longer excuses (${s.source}: renew the date or fix the finding): ${s.reason}`,
      );
    else if (s.status === 'stale')
      lines.push(`  ⚠ stale: ${entryLabel(s)} matched no failure (${s.source}: fixed? remove the entry)`);
    else lines.push(`  · ${entryLabel(s)}: not judged in this run`);
  }
  // The file's own words (reasons, patterns) are printed: one line each, escaped like any untrusted text.
  return lines.map((l) => oneLine(l));
}
