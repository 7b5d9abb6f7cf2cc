// The sse-harness command line: parses, runs scenarios in real browsers, prints a verdict table, writes reports.
import { readdirSync, existsSync, statSync, appendFileSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { stress, stressSummary } from './stress.ts';
import { doctor, doctorReport } from './doctor.ts';
import { watch } from './watch.ts';
import { bisect } from './bisect.ts';
import { openRepo } from './history/git.ts';
import { REFS_EXAMPLES, REFS_GRAMMAR, resolveRefs } from './history/refs.ts';
import { refsOfShard, resumeMismatch, sweep } from './history/sweep.ts';
import type { SweepSummary } from './report/sweep-schema.ts';
import { compareWithBase, newSinceBase, prepareCompare } from './history/compare.ts';
import { diffSweeps, readSweep, SweepFileError } from './history/sweep-diff.ts';
import { backendDiffText, sweepDiffText, sweepTable } from './report/sweep.ts';
import { conformanceText } from './report/conformance.ts';
import { CASES } from './conformance/cases.ts';
import { runConformance, type ConformanceResult } from './conformance/run.ts';
import { RESUME_BEHAVIOURS, type ResumeBehaviour } from './mock/server-model.ts';
import { oneLine, terminalText, toStderr, toStdout } from './report/terminal.ts';
import { compareToBaseline, metricsOf, readBaseline, writeBaseline, type BaselineFile } from './runner/baseline.ts';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './paths.ts';
import { checkWritableDir, checkWritableFile, DestinationError, makeDir } from './destination.ts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadScenarioFile, ScenarioError } from './scenario/loader.ts';
import { withTimeScale, type Scenario } from './scenario/schema.ts';
import { MAX_TIME_SCALE, MIN_TIME_SCALE } from './scenario/limits.ts';
import { scenarioJsonSchema } from './scenario/json-schema.ts';
import { reportJsonSchema } from './report/schema.ts';
import { launcherFor, BROWSERS } from './driver/index.ts';
import { ConfigError, loadConfig, type ConfigProject, type SseHarnessConfig } from './config.ts';
import { ProjectError, runProjects, transportList, type ProjectSettings, type RunProject } from './projects.ts';
import type { WorkerBrowsers } from './driver/reuse.ts';
import type { BrowserName } from './driver/types.ts';
import { hasOwnServer, targetFor, targetNames, useTarget } from './targets/index.ts';
import type { Target } from './targets/types.ts';
import { TRANSPORT_KINDS } from './targets/transport.ts';
import { DEFAULT_SDK_VERSION } from './targets/ai-sdk-build.ts';
import { REGRESSION_CLASSES, type RegressionClass } from './scenario/classes.ts';
import { matrixCells, matrixJobs, matrixTable, shardCells, stopWhenFor, type Job } from './runner/matrix.ts';
import { parseShard, planJobs, shardLabel, type Planned, type Shard } from './runner/shard.ts';
import { blobJsonSchema, writeBlob, type BlobJob } from './report/blob.ts';
import { byKind, findBlobs, MergeError, mergedOutcome, mergeRuns, mergeSweeps } from './merge-reports.ts';
import { runSuite } from './runner/suite.ts';
import { runScenario, type ScenarioResult } from './runner/run.ts';
import { buildReport } from './report/model.ts';
import { writeReport } from './report/write.ts';
import { holdLine } from './report/verdict-line.ts';
import {
  asExpected,
  failsGate,
  FLAKY_POLICIES,
  runWithRetries,
  type FlakyPolicy,
  type Judgement,
} from './runner/retry.ts';
import { KnownFindings, knownJsonSchema, knownLines, loadKnownFile } from './runner/known.ts';
import { attemptLines, knownNote, outcomeOf } from './report/outcome.ts';
import { adoptRunFolder, holdAt, onCleanup, reapAll, wasInterrupted } from './driver/reaper.ts';
import { reapedLine, reapOrphans } from './driver/orphans.ts';

export const EXIT = { ok: 0, regression: 1, usage: 2 } as const;
const BROWSER_COMMANDS = new Set(['run', 'stress', 'bisect', 'sweep', 'doctor']);
/** An error message's longest text (a browser's last words can be long). */
const ERROR_MAX = 4000;
const DEFAULT_SCENARIOS = join(ROOT, 'scenarios');

class UsageError extends Error {}

/** The options a config file may set, by config key and the option each stands for. */
const CONFIG_OPTIONS: [keyof SseHarnessConfig, string][] = [
  ['target', 'target'],
  ['appDir', 'appDir'],
  ['transport', 'transport'],
  ['sdkVersion', 'sdkVersion'],
  ['browsers', 'browser'],
  ['device', 'device'],
  ['workers', 'workers'],
  ['reportDir', 'reportDir'],
  ['retries', 'retries'],
  ['flaky', 'flaky'],
  ['known', 'known'],
  ['backend', 'backend'],
  ['timeScale', 'timeScale'],
  ['bootTimeout', 'bootTimeout'],
];
/** -t for the commands that run one target: a built-in name or a target module. */
const targetOption = () =>
  new Option(
    '-t, --target <name|path>',
    `chat UI target: ${targetNames().join(', ')}, or the path of a target module (./my-target.ts)`,
  ).default('reference');
/** --transport for the commands that run over one transport (run takes a list). */
const oneTransportOption = (where: string) =>
  new Option(
    '--transport <kind>',
    `the streaming transport the UI must use ${where} (default: the target's own)`,
  ).choices(TRANSPORT_KINDS);
const CONFIG_HELP =
  'the config file (default: sse-harness.config.ts, .mts, .js or .mjs in the working folder, if there is one); flags win over it';
/** Commands that read sse-harness.config.ts. */
const CONFIG_COMMANDS = new Set(['run', 'stress', 'sweep', 'validate']);
/** The config's scenarios, for a command given none. */
let configScenarios: string[] | undefined;
/** The config's projects, for run. */
let configProjects: ConfigProject[] | undefined;

/** Sets each option the command line left at its default to the config's value (a flag always wins). */
function applyConfig(command: Command, config: SseHarnessConfig): void {
  for (const [key, option] of CONFIG_OPTIONS) {
    const value = config[key];
    if (value === undefined || !command.options.some((o) => o.attributeName() === option)) continue;
    const source = command.getOptionValueSource(option);
    if (source === 'cli' || source === 'env') continue;
    // sweep takes a list of backends where run takes one; run takes a list of transports where a config may give one,
    // and the other commands one transport.
    let v: unknown = value;
    if (option === 'backend' && Array.isArray(command.getOptionValue(option))) v = transportList(value as string);
    if (option === 'transport') {
      const list = transportList(value as string | string[])!;
      if (command.name() === 'run') v = list;
      else if (list.length === 1) v = list[0];
      else
        throw new UsageError(
          `sse-harness ${command.name()}: the config's transport lists ${list.join(', ')}, and ${command.name()} runs over one transport. Give --transport <kind>.`,
        );
    }
    command.setOptionValueWithSource(option, v, 'config');
  }
  configScenarios = config.scenarios;
  configProjects = config.projects;
  // sweep and stress run in the projects' browsers; run takes the projects themselves (readyProjects).
  const browsers = config.projects && [...new Set(config.projects.map((p) => p.browser))];
  if (browsers && command.options.some((o) => o.attributeName() === 'browser'))
    if (command.getOptionValueSource('browser') !== 'cli')
      command.setOptionValueWithSource('browser', browsers, 'config');
}

/** Every scenario path the config names (its own and its projects'), for validate. */
function configScenarioPaths(): string[] {
  const own = configProjects?.flatMap((p) => p.scenarios ?? []) ?? [];
  if (!own.length) return configScenarios ?? [];
  const top = configScenarios ?? (configProjects!.every((p) => p.scenarios) ? [] : [DEFAULT_SCENARIOS]);
  return [...new Set([...top, ...own])];
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** A list that must name something: "--browser ," would otherwise run nothing and pass. */
const names = (v: string) => {
  const l = list(v);
  if (!l.length) throw new InvalidArgumentError('expected at least one name, comma-separated');
  return l;
};

function scenarioFiles(paths: string[]): string[] {
  const inputs = paths.length ? paths : [DEFAULT_SCENARIOS];
  const files: string[] = [];
  for (const p of inputs) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new UsageError(`sse-harness: no such scenario file or folder: ${p}`);
    if (statSync(abs).isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(abs);
      } catch (e) {
        throw new UsageError(
          `sse-harness: cannot read the scenario folder ${p} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
      files.push(
        ...names
          .filter((f) => /\.(ya?ml|json)$/.test(f))
          .sort()
          .map((f) => join(abs, f)),
      );
    } else files.push(abs);
  }
  if (!files.length) throw new UsageError(`sse-harness: no scenario files (*.yaml, *.json) in ${inputs.join(', ')}`);
  return files;
}

/** Loads every scenario before any browser starts, so a bad file costs nothing. */
function loadAll(paths: string[]): Scenario[] {
  return scenarioFiles(paths).map((f) => loadScenarioFile(f));
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** A table cell's longest text: the rest of an over-long detail is counted, not printed. */
const CELL_MAX = 1000;

export function verdictTable(results: ScenarioResult[]): string {
  // Every field may carry untrusted text (scenario names, the UI's words in a summary, a target's error): one line each.
  const cell = (s: string) => oneLine(s, CELL_MAX);
  // A project column where the runs belong to projects.
  const projects = results.some((r) => r.project !== undefined);
  const project = (s: string) => (projects ? `${pad(s, 14)} ` : '');
  // A transport column where the runs were asked for transports (--transport).
  const transports = results.some((r) => r.transport !== undefined);
  const transport = (s: string) => (transports ? `${pad(s, 12)} ` : '');
  const indent = ' '.repeat(45 + (projects ? 15 : 0) + (transports ? 13 : 0));
  const rows = [
    `${pad('scenario', 26)} ${project('project')}${pad('browser', 9)} ${transport('transport')}${pad('verdict', 7)} detail`,
  ];
  for (const r of results) {
    const failing = r.verdicts.filter((v) => !v.pass);
    const mark = outcomeOf(r).toUpperCase();
    const first =
      r.verdict === 'error'
        ? (r.error ?? 'error')
        : failing.length
          ? `${failing[0]!.oracle}: ${failing[0]!.summary}${knownNote(failing[0]!)}`
          : holdLine(r.verdicts);
    rows.push(
      `${pad(cell(r.scenario), 26)} ${project(cell(r.project ?? ''))}${pad(cell(r.browser), 9)} ${transport(cell(r.transport ?? ''))}${pad(mark, 7)} ${cell(first)}`,
    );
    for (const v of failing) {
      if (v.step) rows.push(`${indent}  at ${cell(v.step)}${v.t !== undefined ? ` (t=${v.t} ms)` : ''}`);
      if (v !== failing[0]) rows.push(`${indent}  ${cell(`${v.oracle}: ${v.summary}${knownNote(v)}`)}`);
    }
    for (const line of attemptLines(r)) rows.push(`${indent}  ${cell(line)}`);
    const seen = new Set<string>();
    for (const f of r.findings ?? []) {
      if (seen.has(f.summary)) continue;
      seen.add(f.summary);
      rows.push(`${indent}  ⚠ ${cell(`${f.finding} after ${f.step}: ${f.summary}`)}`);
    }
  }
  return rows.join('\n');
}

interface RunFlags {
  bootTimeout?: number;
  target: string;
  appDir?: string;
  transport?: string[];
  sdkVersion?: string;
  regress: string[];
  browser: string[];
  reportDir: string;
  grep?: string;
  headed?: boolean;
  slowMo?: number;
  timeScale?: number;
  failFast?: boolean;
  port?: number;
  backend?: 'mock' | 'real';
  workers?: number;
  quiet?: boolean;
  matrix?: boolean;
  baseline?: string;
  updateBaseline?: string | boolean;
  baselineTolerance: number;
  device?: 'iphone';
  trend?: string;
  repeatUntilFail?: number;
  keepOpen?: boolean;
  retries: number;
  flaky: FlakyPolicy;
  known?: string;
  compare?: string;
  shard?: Shard;
  project?: string[];
}

interface StressFlags {
  runs: number;
  target: string;
  appDir?: string;
  transport?: string;
  browser?: string[];
  workers?: number;
  shard?: Shard;
}

/** The sweep --resume goes on from; a missing one means a fresh start, one of other scenarios or browsers an error. */
type Backend = 'mock' | 'real';

function backendsArg(v: string): Backend[] {
  const all = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = all.filter((x) => x !== 'mock' && x !== 'real');
  if (bad.length || !all.length || new Set(all).size !== all.length)
    throw new InvalidArgumentError('give mock, real, or mock,real');
  return all as Backend[];
}

function earlierSweep(dir: string, want: Parameters<typeof resumeMismatch>[1]): SweepSummary | undefined {
  const file = join(dir, 'sweep.json');
  if (!existsSync(file)) {
    toStderr(`sse-harness: --resume: no earlier sweep in ${oneLine(dir)}, starting from the first ref\n`);
    return undefined;
  }
  let prev: SweepSummary;
  try {
    prev = readSweep(file);
  } catch (e) {
    throw new UsageError(`sse-harness: --resume: ${(e as Error).message}`);
  }
  const why = resumeMismatch(prev, want);
  if (why)
    throw new UsageError(
      `sse-harness: --resume: ${oneLine(file)} is another sweep (${oneLine(why)}). Give the same scenarios, browsers and target, or another --report-dir.`,
    );
  return prev;
}

/** Destination checks run before any browser starts; a destination that cannot be written is a usage error. */
function writableOrUsage(check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof DestinationError) throw new UsageError(`sse-harness: ${e.message}`);
    throw e;
  }
}

/** A project ready to run: its target made, its scenarios loaded (its time scale and --grep applied). */
interface ReadyProject extends RunProject {
  made: Target;
  loaded: Scenario[];
}

/** The projects of a run (projects.ts), each target made and each scenario list loaded once. */
async function readyProjects(
  paths: string[],
  flags: RunFlags,
  given: ReadonlySet<keyof ProjectSettings>,
): Promise<ReadyProject[]> {
  let projects: RunProject[];
  try {
    const { device, target, appDir, timeScale, transport: transports, sdkVersion } = flags;
    projects = runProjects(
      configProjects,
      { browsers: flags.browser, device, target, appDir, scenarios: paths, timeScale, transports, sdkVersion },
      given,
      flags.project,
    );
  } catch (e) {
    throw e instanceof ProjectError ? new UsageError(e.message) : e;
  }
  const other = projects.find((p) => p.target !== 'ai-sdk');
  if (given.has('sdkVersion') && other)
    throw new UsageError(
      `sse-harness: --sdk-version is for the ai-sdk target, not ${oneLine(other.target, 100)}. Add -t ai-sdk, or leave --sdk-version out.`,
    );
  const targets = new Map<string, Target>();
  const made = async (p: RunProject, transport: string | undefined) => {
    // A config's sdkVersion is for its ai-sdk projects; every other target is made without it.
    const sdkVersion = p.target === 'ai-sdk' ? p.sdkVersion : undefined;
    const at = JSON.stringify([p.target, p.appDir, transport, sdkVersion]);
    if (!targets.has(at))
      try {
        // A project's own target module is loaded here; the run's was loaded before the command (preAction).
        const name = targetNames().includes(p.target)
          ? p.target
          : await useTarget(p.target, `config project ${p.name} target`);
        targets.set(at, targetFor(name, { appDir: p.appDir, transport, sdkVersion }));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    return targets.get(at)!;
  };
  // --transport all: every transport the project's target lists, one run each.
  const each: RunProject[] = [];
  for (const p of projects) {
    if (p.transport !== 'all') each.push(p);
    else {
      const t = await made(p, undefined);
      if (!t.transports?.length)
        throw new UsageError(
          `sse-harness: --transport all: the ${t.name} target does not say which transports it has. Leave --transport out.`,
        );
      each.push(...t.transports.map((transport) => ({ ...p, transport })));
    }
  }
  const lists = new Map<string, Scenario[]>();
  const ready: ReadyProject[] = [];
  for (const p of each) {
    const target = await made(p, p.transport);
    const files = JSON.stringify(p.scenarios);
    if (!lists.has(files)) lists.set(files, loadAll(p.scenarios));
    let loaded = lists.get(files)!;
    if (p.timeScale !== undefined)
      loaded = loaded.map((s) => (s.timeScale === undefined ? withTimeScale(s, p.timeScale!) : s));
    if (flags.grep) loaded = loaded.filter((s) => s.name.includes(flags.grep!));
    ready.push({ ...p, made: target, loaded });
  }
  if (ready.every((p) => !p.loaded.length))
    throw new UsageError(`sse-harness: no scenario matches --grep ${flags.grep}`);
  return ready;
}

async function runCommand(
  paths: string[],
  flags: RunFlags,
  argv: string[],
  given: ReadonlySet<keyof ProjectSettings> = new Set(),
): Promise<number> {
  // "all": every browser this machine has (doctor says how to get the rest).
  if (flags.browser.includes('all')) {
    const here = BROWSERS.filter((b) => launcherFor(b).missing() === null);
    const skipped = BROWSERS.filter((b) => !here.includes(b));
    if (skipped.length && !flags.quiet)
      toStderr(
        `sse-harness: --browser all: ${skipped.join(', ')} not installed here, skipped (see: sse-harness doctor)\n`,
      );
    if (!here.length)
      throw new UsageError(
        'sse-harness: --browser all: no browser installed. Run npm run setup, or see sse-harness doctor.',
      );
    flags.browser = here;
  }
  const projects = await readyProjects(paths, flags, given);
  flags.browser = [...new Set(projects.map((p) => p.browser))];
  const targets = [...new Set(projects.map((p) => p.made))];
  // What takes one target (the matrix's classes, --compare) takes the first: the projects must share it (below).
  const target = targets[0]!;
  const targetName = [...new Set(targets.map((t) => t.name))].join(', ');
  for (const t of targets)
    for (const r of flags.regress) {
      if (!t.regressions.includes(r)) {
        throw new UsageError(
          `sse-harness: --regress ${r}: the ${t.name} target cannot switch that on. Known: ${t.regressions.join(', ') || 'none (real UIs carry their own bugs)'}`,
        );
      }
    }
  if (flags.backend === 'real') {
    const own = targets.find((t) => !t.realBackend);
    if (own)
      throw new UsageError(
        `sse-harness: --backend real: the ${own.name} target has no server of its own to start. Use -t hermes-webui --app-dir <checkout>, or leave out --backend.`,
      );
    if (flags.matrix || flags.compare)
      throw new UsageError(
        `sse-harness: --backend real cannot be combined with ${flags.matrix ? '--matrix' : '--compare'}. Run it on its own.`,
      );
  }
  const shared = (key: (p: RunProject) => unknown[]) => new Set(projects.map((p) => JSON.stringify(key(p)))).size === 1;
  if (flags.compare && !shared((p) => [p.target, p.appDir, p.device]))
    throw new UsageError(
      `sse-harness: --compare runs the base once for the whole run: the projects must share target, appDir and device. Pick such projects with --project.`,
    );
  if (flags.matrix && !shared((p) => [p.target]))
    throw new UsageError(
      `sse-harness: --matrix needs one target for the whole run, and the projects have several (${targetName}). Pick projects of one target with --project.`,
    );
  const compare = flags.compare
    ? prepareCompare(flags.compare, projects[0]!.appDir, { matrix: flags.matrix })
    : undefined;
  const launchers = new Map(flags.browser.map((b) => [b, launcherFor(b)]));
  for (const l of launchers.values()) {
    const missing = l.missing();
    if (missing) throw new UsageError(`sse-harness: ${missing}`);
  }
  const log = (s: string) => !flags.quiet && toStderr(`${oneLine(s)}\n`);
  const matrix = flags.matrix && flags.regress.length === 0 && target.regressions.length > 0;
  if (flags.matrix && !matrix)
    log(
      `sse-harness: no detection matrix (${flags.regress.length ? '--regress given: running with those regressions' : `target ${target.name} has no switchable regressions`})`,
    );
  // A narrowed selection (files or --grep) is judged on the classes its scenarios are built to catch; the full
  // default suite on every class, so a class no scenario catches shows up as a miss.
  const narrowed = projects.some((p) => p.scenarios.length > 0) || flags.grep !== undefined;
  const classes = (target.regressions as readonly RegressionClass[]).filter(
    (k) => !narrowed || projects.some((p) => p.loaded.some((s) => s.catches?.includes(k))),
  );
  const round: Job[] = projects.flatMap((p) =>
    (matrix
      ? matrixJobs(p.loaded, [p.browser], classes)
      : p.loaded.map((scenario) => ({
          scenario,
          browser: p.browser,
          regress: flags.regress,
          expect: flags.regress.length ? ('catch' as const) : ('pass' as const),
        }))
    ).map((job) => ({ ...job, project: p.name, target: p.made, device: p.device, transport: p.transport })),
  );
  // --repeat-until-fail N: the same runs again and again, stopping at the first that does not pass (flaky leaks).
  const rounds = Math.max(1, flags.repeatUntilFail ?? 1);
  // --shard i/n: this machine's part of the whole (runner/shard.ts); the whole's job list goes into the blob.
  const shard = flags.shard;
  const plan = planJobs(round, rounds, shard?.total);
  const mine: Planned<Job>[] = shard ? plan.filter((p) => p.shard === shard.index) : plan;
  const jobs: Job[] = mine.map((p) => p.job);
  if (!plan.length)
    throw new UsageError(
      'sse-harness: nothing to run: no scenario in any browser. A gate that runs nothing must not pass; check the scenarios and --browser.',
    );

  let known: KnownFindings | undefined;
  if (flags.known) {
    try {
      known = new KnownFindings(flags.known, loadKnownFile(resolve(flags.known)));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  // How each attempt went (runner/retry.ts): did it do what it was for, or fail only as known findings allow?
  const judge = (job: Job, r: ScenarioResult): Judgement =>
    asExpected(job, r, !!matrix)
      ? 'ok'
      : known && !(matrix && job.expect === 'catch') && known.excuses(r)
        ? 'excused'
        : 'bad';

  let baseline: BaselineFile | undefined;
  if (flags.baseline) {
    try {
      baseline = readBaseline(resolve(flags.baseline));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  // Where the verdict will be written is checked now, not after the whole run.
  const baselineFile = flags.updateBaseline
    ? resolve(typeof flags.updateBaseline === 'string' ? flags.updateBaseline : (flags.baseline ?? DEFAULT_BASELINE))
    : undefined;
  writableOrUsage(() => {
    checkWritableDir(flags.reportDir, `--report-dir ${flags.reportDir}`);
    if (flags.trend) checkWritableFile(flags.trend, `--trend ${flags.trend}`);
    if (baselineFile) checkWritableFile(baselineFile, `--update-baseline ${baselineFile}`);
  });
  const startedAt = new Date().toISOString();
  const blobJobs: BlobJob[] = plan.map((p) => ({
    key: p.key,
    scenario: p.job.scenario.name,
    file: p.job.scenario.file,
    browser: p.job.browser,
    ...(p.job.transport ? { transport: p.job.transport } : {}),
    regress: p.job.regress,
    expect: p.job.expect,
    ...(p.job.klass ? { klass: p.job.klass } : {}),
    repeat: p.repeat,
    weight: p.weight,
  }));
  const gateOf = (results: ScenarioResult[]) => ({
    retries: flags.retries,
    flaky: flags.flaky,
    ...(known ? { known: { file: flags.known!, entries: known.statuses(results) } } : {}),
  });
  // The shard's results with the whole's job list, for merge-reports (report/blob.ts).
  const blob = (results: (ScenarioResult | undefined)[], complete: boolean) =>
    shard &&
    writeBlob(resolve(flags.reportDir), {
      blobVersion: 1,
      tool: 'sse-harness',
      kind: 'run',
      shard,
      startedAt,
      finishedAt: new Date().toISOString(),
      complete: complete && !wasInterrupted(),
      ...(wasInterrupted() ? { interruptedBy: wasInterrupted()! } : {}),
      command: argv,
      target: targetName,
      browsers: flags.browser,
      regress: flags.regress,
      gate: gateOf(results.filter((r): r is ScenarioResult => r !== undefined)),
      ...(matrix ? { matrix: { classes: [...classes] } } : {}),
      jobs: blobJobs,
      results: results.flatMap((r, i) => (r ? [{ key: mine[i]!.key, result: r }] : [])),
    });
  // A shard may get no runs (more shards than runs): not an error, as with Playwright's --shard.
  if (shard && !jobs.length) {
    const file = blob([], true);
    toStdout(`sse-harness: shard ${shardLabel(shard)}: none of the ${plan.length} run${plan.length === 1 ? '' : 's'} falls to this shard; nothing to run
blob: ${file}
`);
    return EXIT.ok;
  }
  if (shard) log(`sse-harness: shard ${shardLabel(shard)}: ${jobs.length} of ${plan.length} runs`);
  // Indexed like jobs; runs finish out of order when several run at once.
  const slots: (ScenarioResult | undefined)[] = new Array(jobs.length).fill(undefined);
  const done = () => slots.filter((r): r is ScenarioResult => r !== undefined);
  const cellsOf = () => {
    const cells = matrixCells(jobs, slots as ScenarioResult[], flags.browser, classes, flags.flaky);
    return shard
      ? shardCells(
          cells,
          jobs,
          plan.map((p) => p.job),
        )
      : cells;
  };
  const report = (complete: boolean) => {
    blob(slots, complete);
    return writeReport(
      resolve(flags.reportDir),
      buildReport({
        startedAt,
        finishedAt: new Date().toISOString(),
        complete: complete && !wasInterrupted(),
        interruptedBy: wasInterrupted() ?? undefined,
        command: argv,
        target: targetName,
        browsers: flags.browser,
        regress: flags.regress,
        results: done(),
        matrix: matrix ? cellsOf() : undefined,
        gate: gateOf(done()),
      }),
    );
  };
  // On Ctrl-C the partial report is still written, marked incomplete.
  const dropPartial = onCleanup(() => {
    const file = report(false);
    toStderr(`sse-harness: partial report (incomplete) written to ${file}\n`);
  });

  // A fixed port or a watched (headed) browser means one run at a time.
  const workers =
    flags.port !== undefined || flags.headed || flags.keepOpen
      ? 1
      : Math.max(1, Math.min(flags.workers ?? defaultWorkers(), jobs.length));
  log(
    `sse-harness: ${jobs.length} run${jobs.length === 1 ? '' : 's'} against target "${targetName}"${matrix ? ' (detection matrix: healthy UI, then each regression class)' : flags.regress.length ? ` with regressions ${flags.regress.join(', ')}` : ' (healthy)'}${workers > 1 ? `, ${workers} at a time` : ''}`,
  );
  const launchOpts = { headed: flags.headed, slowMo: flags.slowMo, device: flags.device };
  const launchOf = (job: Job) => ({ ...launchOpts, device: job.device });
  const runJob = async (job: Job, i: number, browsers: WorkerBrowsers, attempt = 1): Promise<ScenarioResult> => {
    const tag = `[${i + 1}/${jobs.length}${attempt > 1 ? ` retry ${attempt - 1}/${flags.retries}` : ''}]`;
    log(
      `${tag} ${job.scenario.name} · ${job.project ? `${job.project} · ` : ''}${job.browser}${job.transport ? ` · ${job.transport}` : ''}${job.regress.length ? ` · regress ${job.regress.join(',')}` : ''}`,
    );
    const r = await runScenario(job.scenario, {
      target: job.target ?? target,
      launcher: browsers.get(job.browser),
      regress: job.regress,
      launch: launchOf(job),
      progress: flags.quiet ? undefined : workers > 1 ? (line) => log(`${tag}${line}`) : log,
      port: flags.port,
      bootTimeoutMs: flags.bootTimeout && flags.bootTimeout * 1000,
      backend: flags.backend,
      stopWhen: matrix ? stopWhenFor(job) : flags.failFast ? (f) => f.length > 0 : undefined,
      keepOpenOnFailure: flags.keepOpen
        ? async ({ backend, cdpPort }) => {
            toStderr(
              `${tag} kept open after the failure: backend ${backend}${cdpPort ? `, DevTools port ${cdpPort} (sse-harness watch --attach ${cdpPort})` : ''}. Ctrl-C ends.\n`,
            );
            await new Promise(() => {});
          }
        : undefined,
    });
    r.expected = job.expect;
    if (job.project !== undefined) r.project = job.project;
    // The baseline gate: a healthy run must also be no worse than the recorded one.
    const vs =
      baseline && job.expect === 'pass' && r.verdict !== 'error'
        ? compareToBaseline(r, baseline, { ratio: flags.baselineTolerance })
        : null;
    if (vs) {
      r.verdicts.push(vs);
      if (!vs.pass) r.verdict = 'fail';
    }
    log(
      `${tag} ${job.scenario.name} · ${job.browser}${job.transport ? ` · ${job.transport}` : ''} → ${r.verdict.toUpperCase()} in ${(r.durationMs / 1000).toFixed(1)} s${
        r.verdict === 'fail'
          ? `: ${r.verdicts
              .filter((v) => !v.pass)
              .map((v) => v.oracle)
              .join(', ')}`
          : ''
      }`,
    );
    return r;
  };
  // Longest runs first, repetitions in order, stall-budget runs one at a time (runner/suite.ts, runner/schedule.ts);
  // each worker keeps one browser per browser name for all its runs (a fresh page each time).
  let stopRepeating = false;
  const suite = await runSuite({
    jobs,
    group: (i) => mine[i]!.repeat,
    browsers: { workers, launcherFor },
    launch: launchOf,
    // A UI that did not boot is that target's in that browser (over that transport): another project's target, or
    // the same UI over another transport, is still tried there.
    bootKey: (j) => `${j.browser} ${j.target?.name} ${j.target?.version} ${j.transport ?? ''}`,
    // A run that did not do what it was for is run again (--retries), in place, with this worker's browsers.
    run: (job, i, browsers) =>
      runWithRetries((n) => runJob(job, i, browsers, n), {
        retries: flags.retries,
        judge: (x) => judge(job, x),
        stop: () => !!wasInterrupted() || stopRepeating,
        final: (x) => !!x.bootFailed,
      }),
    onResult: (r, job, i) => {
      if (known && !(matrix && job.expect === 'catch')) known.annotate(r);
      if (r.attempts)
        log(
          `[${i + 1}/${jobs.length}] ${r.scenario} · ${r.browser} → ${outcomeOf(r).toUpperCase()} after ${r.attempts!.length + 1} attempts`,
        );
      slots[i] = r;
    },
    onBootFailure: ({ result: r, browser, skipped: { length: skipped } }) =>
      toStderr(
        `${oneLine(r.error)}\n${skipped ? `sse-harness: ${skipped} more run${skipped === 1 ? '' : 's'} in ${browser} not started: the UI did not boot there\n` : ''}`,
      ),
    stopAfter: (r, job, i) => {
      if (rounds === 1 || !failsGate(r, (x) => judge(job, x), flags.flaky)) return false;
      stopRepeating = true;
      log(
        `sse-harness: ${r.scenario} · ${r.browser} ${outcomeOf(r) === 'flaky' ? 'was flaky' : r.verdict === 'error' ? 'errored' : 'failed'} in repetition ${mine[i]!.repeat + 1} of ${rounds}; no more repetitions`,
      );
      return true;
    },
  });
  // The browsers close while the verdict is written and printed; the command ends once they have.
  try {
    const results = done();
    if (rounds > 1 && !stopRepeating)
      log(`sse-harness: all ${rounds} repetitions as expected (${results.length} runs)`);
    // --compare: the same runs at the base ref; each result gets its base verdict, and the gate fails only on what is new.
    const compared =
      compare && !wasInterrupted()
        ? await compareWithBase(compare, results, {
            jobs,
            target: projects[0]!.target,
            workers,
            launcherFor,
            launch: launchOf(jobs[0]!),
            stopWhen: () => (flags.failFast ? (f) => f.length > 0 : undefined),
            ratio: flags.baselineTolerance,
            reportDir: flags.reportDir,
            command: argv,
            log,
          })
        : undefined;
    // Whatever cannot be written now (a folder removed or filled during the run) is said after the verdict table,
    // which is always printed, and makes the exit 2.
    const notWritten: string[] = [];
    const attempt = <T>(what: string, write: () => T): T | undefined => {
      try {
        return write();
      } catch (e) {
        notWritten.push(`sse-harness: ${what} not written: ${(e as Error).message.split('\n')[0]}`);
        return undefined;
      }
    };
    if (baselineFile) {
      let previous: BaselineFile | undefined;
      try {
        previous = readBaseline(baselineFile);
      } catch {
        previous = undefined;
      }
      const b = attempt(`baseline ${baselineFile}`, () => writeBaseline(baselineFile, results, previous));
      if (b)
        log(
          `sse-harness: baseline with ${Object.keys(b.runs).length} healthy run${Object.keys(b.runs).length === 1 ? '' : 's'} written to ${baselineFile}`,
        );
    }
    await holdAt('report');
    if (flags.trend && !wasInterrupted()) {
      // One JSON line per run: easy to chart over nights with any tool, and to diff.
      const file = resolve(flags.trend);
      const lines = results.map((r) =>
        JSON.stringify({
          at: startedAt,
          scenario: r.scenario,
          browser: r.browser,
          engine: r.engine,
          ...(r.project !== undefined ? { project: r.project } : {}),
          device: projects.find((p) => p.name === r.project)?.device ?? null,
          regress: r.regress,
          verdict: r.verdict,
          outcome: outcomeOf(r),
          attempts: (r.attempts?.length ?? 0) + 1,
          durationMs: r.durationMs,
          metrics: metricsOf(r),
          failing: r.verdicts.filter((v) => !v.pass).map((v) => v.oracle),
        }),
      );
      if (
        attempt(
          `trend ${file}`,
          () => (makeDir(dirname(file), `--trend ${flags.trend}`), appendFileSync(file, lines.join('\n') + '\n'), true),
        )
      )
        log(`sse-harness: ${results.length} trend line${results.length === 1 ? '' : 's'} appended to ${file}`);
    }
    if (wasInterrupted()) return new Promise<number>(() => {}); // the signal handler exits the process
    dropPartial();
    const file = attempt('report', () => report(true)) ?? '(not written)';
    const unwritten = () => {
      if (notWritten.length) toStderr(`${notWritten.map((l) => oneLine(l)).join('\n')}\n`);
      return notWritten.length > 0;
    };
    const knownText = known ? `\n\n${knownLines(flags.known!, known.statuses(results)).join('\n')}` : '';
    if (matrix) {
      const cells = cellsOf();
      toStdout(
        `\n${verdictTable(results.filter((_, i) => jobs[i]!.expect === 'pass'))}${knownText}\n\nDetection matrix (each class switched on in the reference UI must be flagged by its oracle):\n\n${matrixTable(cells, flags.browser)}\n\nreport: ${file}\n`,
      );
      if (unwritten() || slots.some((r, i) => r && outcomeOf(r) === 'error' && jobs[i]!.expect === 'pass'))
        return EXIT.usage;
      return cells.every((c) => c.ok) ? EXIT.ok : EXIT.regression;
    }
    toStdout(
      `\n${verdictTable(results)}${knownText}\n${compared ? `\n${compared.table}\nbase report: ${compared.baseReport}\n` : ''}\nreport: ${file}\n`,
    );
    if (unwritten() || results.some((r) => outcomeOf(r) === 'error')) return EXIT.usage;
    // With --compare, a failure the base had too (and no worse) does not fail the gate.
    return slots.some((r, i) => r && failsGate(r, (x) => judge(jobs[i]!, x), flags.flaky) && newSinceBase(r))
      ? EXIT.regression
      : EXIT.ok;
  } finally {
    await suite.closed;
  }
}

/** One browser per core, at most two: more only makes each run's timing noisier. */
function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

const DEFAULT_BASELINE = 'sse-harness.baseline.json';

function ratioArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a fraction like 0.5');
  return n;
}

function scaleArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < MIN_TIME_SCALE || n > MAX_TIME_SCALE)
    throw new InvalidArgumentError(`expected a factor from ${MIN_TIME_SCALE} to ${MAX_TIME_SCALE}, like 0.5`);
  return n;
}

/** --shard i/n, checked where it is parsed. */
function shardArg(v: string): Shard {
  const s = parseShard(v);
  if (typeof s === 'string') throw new InvalidArgumentError(s);
  return s;
}

const SHARD_HELP =
  'run only shard i of n (1 ≤ i ≤ n ≤ 1000): a deterministic part of the runs, the same on every machine; leaves blob-<i>-of-<n>.json in --report-dir for merge-reports';

/** A whole number within bounds, checked where it is parsed (a run must never start on a value it cannot honour). */
function intIn(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command('sse-harness')
    .description(
      'Drive a real chat UI in real browsers against a scripted SSE backend and catch leaked, lost and stalled streams.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Commands that start browsers first end what a run that died left behind, then keep their own temp files in one
  // marked folder (driver/owner.ts), so that what they leave if they die is found the same way.
  program.hook('preAction', async (_program, command) => {
    if (CONFIG_COMMANDS.has(command.name())) {
      const loaded = await loadConfig((command.opts() as { config?: string }).config).catch((e: unknown) => {
        throw e instanceof ConfigError ? new UsageError(e.message) : e;
      });
      if (loaded) {
        applyConfig(command, loaded.config);
        if (!(command.opts() as { quiet?: boolean }).quiet) toStderr(`sse-harness: config ${oneLine(loaded.file)}\n`);
      }
    }
    // A target that names a module (./my-target.ts), given as --target or by the config, is loaded once, before the
    // command runs, and goes on as the name it is registered under; every command with a target takes it this way.
    const spec: unknown = command.getOptionValue('target');
    if (typeof spec === 'string') {
      try {
        const source = command.getOptionValueSource('target');
        // Its source is kept: run tells a --target given (it replaces every project's) from the config's.
        command.setOptionValueWithSource(
          'target',
          await useTarget(spec, source === 'config' ? 'config target' : '--target'),
          source,
        );
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    if (!BROWSER_COMMANDS.has(command.name())) return;
    const reaped = reapOrphans();
    if (reaped) toStderr(`${reapedLine(reaped)}\n`);
    adoptRunFolder();
  });

  program
    .command('run', { isDefault: true })
    .description(
      "run scenarios (default: the config's scenarios, else every file in scenarios/) and print a verdict table",
    )
    .argument('[scenarios...]', 'scenario files or folders')
    .option('-c, --config <file>', CONFIG_HELP)
    .addOption(targetOption())
    .option('--app-dir <path>', 'checkout of the chat UI to drive, for targets that read one (hermes-webui)')
    .option(
      '--sdk-version <version>',
      `the @ai-sdk/react version the ai-sdk target installs (once, into a cache) and bundles its app with (default: ${DEFAULT_SDK_VERSION})`,
    )
    .addOption(
      new Option(
        '--transport <kinds>',
        `the streaming transport the UI must use (${TRANSPORT_KINDS.join(', ')}; the reference UI has eventsource and fetch-stream), comma-separated for one run each, or "all" the target has (default: the target's own)`,
      ).argParser(names),
    )
    .addOption(
      new Option(
        '-r, --regress <classes>',
        `switch regression classes on in the reference UI, comma-separated (${REGRESSION_CLASSES.join(', ')})`,
      )
        .argParser(list)
        .default([]),
    )
    .addOption(
      new Option('-b, --browser <list>', `browsers, comma-separated (${BROWSERS.join(', ')}), or "all" installed`)
        .argParser(names)
        .default(['chromium']),
    )
    .option('-g, --grep <text>', 'only scenarios whose name contains text')
    .option('-o, --report-dir <dir>', 'where reports go', 'reports')
    .option('--headed', 'show the browser window')
    .option('--slow-mo <ms>', 'slow every browser action down by ms', intIn(0, 10_000))
    .option(
      '--time-scale <factor>',
      'play scripted streams at this speed where a scenario sets no timeScale of its own (0.5 = twice as fast; step waits, UI timings and budgets unchanged)',
      scaleArg,
    )
    .option(
      '--boot-timeout <s>',
      "seconds the UI gets to become ready at a run's first open before the run is a boot failure (default 15)",
      intIn(1, 600),
    )
    .option(
      '--port <port>',
      'fixed port for the mock backend (default: a free one; implies --workers 1)',
      intIn(1, 65_535),
    )
    .addOption(
      new Option(
        '--backend <kind>',
        "mock: the harness plays the UI's server; real: the checkout's own server runs behind the harness, with a stub agent playing the scenario (hermes-webui; needs python3)",
      )
        .choices(['mock', 'real'])
        .default('mock'),
    )
    .addOption(
      new Option(
        '--device <name>',
        'mobile emulation profile (iPhone: viewport, touch, user agent where the driver allows)',
      ).choices(['iphone']),
    )
    .option(
      '--fail-fast',
      'stop each run at its first failure that nothing later can undo (a leak past its grace, a background reconnect); oracles not yet decided are reported as not judged',
    )
    .option(
      '--repeat-until-fail <n>',
      'run everything up to n times, stopping at the first run that does not pass (flaky leaks)',
      intIn(1, 1000),
    )
    .option(
      '--retries <n>',
      'run a run that did not do what it was for (failed, errored; in the matrix also a missed catch) up to n more times; one that then holds is reported flaky',
      intIn(0, 10),
      0,
    )
    .addOption(
      new Option('--flaky <treatment>', 'whether a flaky run (failed, then held on a retry) passes or fails the gate')
        .choices(FLAKY_POLICIES)
        .default('pass'),
    )
    .option(
      '--known <file>',
      'known findings (YAML or JSON): failures listed there with a reason (and an optional expiry date) do not fail the gate',
    )
    .option('--keep-open', 'on a failing run, keep its browser and backend up (with --headed: the window) until Ctrl-C')
    .option('--trend <file>', 'append one JSON line per run (metrics, verdict) to this file, for nightly trends')
    .option(
      '--baseline <file>',
      'also fail a healthy run whose metrics are worse than this recorded baseline (beyond the tolerance)',
    )
    .option(
      '--update-baseline [file]',
      `record this run's healthy metrics as the baseline (default: the --baseline file, else ${DEFAULT_BASELINE})`,
    )
    .option(
      '--baseline-tolerance <ratio>',
      'allowed growth over the baseline, as a fraction (0.5 = 50 % worse), plus a small absolute slack per metric',
      ratioArg,
      0.5,
    )
    .option(
      '-w, --workers <n>',
      `scenarios run at once, each with its own browser and backend (default: ${defaultWorkers()} on this machine)`,
      intIn(1, 32),
    )
    .option('-q, --quiet', 'no progress lines, only the table')
    .option(
      '--compare <ref>',
      'gate on what is new: run the same scenarios at this base ref too (a temporary worktree of the --app-dir repository) and fail only on failures the base did not have, or that got worse',
    )
    .option(
      '-m, --matrix',
      'also switch each regression class on in turn and print the detection matrix (reference target; ignored with --regress)',
    )
    .option('--shard <i/n>', SHARD_HELP, shardArg)
    .option(
      '--project <names>',
      "only these of the config's projects, comma-separated or repeated (default: every project)",
      (v: string, prev: string[] = []) => [...prev, ...names(v)],
    )
    .addHelpText(
      'after',
      `
Projects: with projects in the config, each runs in its own browser with its own settings; a flag given here
(-b, --device, -t, --app-dir, --time-scale, scenario paths) replaces that setting in every project, and -b runs
each project in each browser given.

Exit codes: 0 every scenario as expected, 1 a regression was found (with --matrix: a class was
missed or the healthy UI failed; with --compare: a failure new since the base, or worse), 2 usage or harness error.

Examples:
  sse-harness                                   # every built-in scenario, healthy reference UI
  sse-harness --matrix -b chromium,webkit       # healthy UI plus every regression class: the detection matrix
  sse-harness --regress leak-on-switch          # prove the leak is caught (exits 1)
  sse-harness scenarios/switch-return.yaml --headed
  sse-harness scenarios -t hermes-webui --app-dir ../hermes-webui --compare origin/master
                                                # a pull request's gate: fail only on what the PR made fail`,
    )
    .action(async (paths: string[], flags: RunFlags, command: Command) => {
      const flagOf: [keyof ProjectSettings, string][] = [
        ['browsers', 'browser'],
        ['device', 'device'],
        ['target', 'target'],
        ['appDir', 'appDir'],
        ['timeScale', 'timeScale'],
        ['transports', 'transport'],
        ['sdkVersion', 'sdkVersion'],
      ];
      const given = new Set(flagOf.filter(([, o]) => command.getOptionValueSource(o) === 'cli').map(([k]) => k));
      if (paths.length) given.add('scenarios');
      process.exitCode = await runCommand(
        paths.length ? paths : (configScenarios ?? []),
        flags,
        process.argv.slice(2),
        given,
      );
    });

  program
    .command('stress')
    .description(
      "flake budget: run a target's detection matrix (default: the reference UI's) again and again and count misses and false alarms",
    )
    .option('--runs <n>', 'rounds of the whole matrix', intIn(1, 1000), 5)
    .option('-c, --config <file>', CONFIG_HELP)
    .addOption(
      new Option(
        '-t, --target <name|path>',
        `chat UI target whose switchable regressions make the matrix: ${targetNames().join(', ')}, or the path of a target module`,
      ).default('reference'),
    )
    .option('--app-dir <path>', 'checkout of the chat UI to drive, for targets that read one')
    .option(
      '--transport <kind>',
      `the streaming transport the UI must use (${TRANSPORT_KINDS.join(', ')}; default: the target's own)`,
    )
    .addOption(
      new Option(
        '-b, --browser <list>',
        `browsers, comma-separated (default: every installed one of ${BROWSERS.join(', ')})`,
      ).argParser(names),
    )
    .option('-w, --workers <n>', 'runs at once', intIn(1, 32))
    .option(
      '--shard <i/n>',
      "run only shard i of n of each round's runs (1 ≤ i ≤ n ≤ 1000; the same split as run's); the shards' counts add up",
      shardArg,
    )
    .action(async (opts: StressFlags) => {
      let target: Target;
      try {
        target = targetFor(opts.target, { appDir: opts.appDir, transport: opts.transport });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (!target.regressions.length)
        throw new UsageError(
          `sse-harness stress: the ${target.name} target has no switchable regressions; stress needs a target with switchable regressions (-t reference, or a target module that lists its regressions).`,
        );
      const installed = (b: string) => {
        try {
          return launcherFor(b).missing() === null;
        } catch {
          return false;
        }
      };
      const browsers = (opts.browser ?? BROWSERS.filter(installed)) as BrowserName[];
      for (const b of browsers) {
        if (!BROWSERS.includes(b))
          throw new UsageError(`sse-harness: unknown browser "${b}" (known: ${BROWSERS.join(', ')})`);
        const missing = launcherFor(b).missing();
        if (missing) throw new UsageError(`sse-harness: ${missing}`);
      }
      if (opts.runs < 1) throw new UsageError('sse-harness: --runs must be at least 1');
      const scenarios = loadAll([]);
      const log = (s: string) => toStderr(`${oneLine(s)}\n`);
      log(
        `sse-harness stress: ${opts.runs} round${opts.runs === 1 ? '' : 's'} of the detection matrix of target "${target.name}"${target.transport ? ` over ${target.transport}` : ''} in ${browsers.join(', ')}${opts.shard ? `, shard ${shardLabel(opts.shard)}` : ''}`,
      );
      const o = await stress(scenarios, {
        target,
        runs: opts.runs,
        browsers,
        workers: opts.workers ?? defaultWorkers(),
        log,
        shard: opts.shard,
      });
      if (opts.shard && !o.rounds) {
        toStdout(
          `sse-harness stress: shard ${shardLabel(opts.shard)}: no run of the matrix falls to this shard; nothing to run\n`,
        );
        return;
      }
      toStdout(`${stressSummary(o)}\n`);
      process.exitCode =
        o.misses.length || o.falseAlarms.length ? EXIT.regression : o.errors.length ? EXIT.usage : EXIT.ok;
    });

  program
    .command('validate')
    .description('check scenario files (and with --target, the target) without starting a browser')
    .argument('[scenarios...]', 'scenario files or folders')
    .option('-c, --config <file>', CONFIG_HELP)
    .option(
      '-t, --target <name|path>',
      'also check this target: a built-in name, or a target module that must load and have the shape of a target',
    )
    .option('--app-dir <path>', 'the checkout the target is made for (targets that read one)')
    .action((paths: string[], o: { target?: string; appDir?: string }) => {
      if (o.target !== undefined) {
        try {
          targetFor(o.target, { appDir: o.appDir });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      }
      const files = scenarioFiles(paths.length ? paths : configScenarioPaths());
      let bad = 0;
      for (const f of files) {
        try {
          loadScenarioFile(f);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          bad++;
          toStderr(`${oneLine(e.message)}\n`);
        }
      }
      toStdout(`${files.length - bad} of ${files.length} scenario files valid\n`);
      process.exitCode = bad ? EXIT.usage : EXIT.ok;
    });

  program
    .command('bisect')
    .description(
      "find the first commit of a chat UI's history at which a scenario fails (each candidate in a temporary git worktree)",
    )
    .argument('<scenario>', 'the scenario file that tells good from bad')
    .requiredOption('--repo <path>', 'git checkout of the chat UI (its working tree is never touched)')
    .requiredOption('--good <ref>', 'a commit where the scenario passes')
    .requiredOption('--bad <ref>', 'a later commit where it fails')
    .option('--app-subdir <dir>', 'folder of the UI inside the repository, passed to the target as --app-dir', '.')
    .addOption(targetOption())
    .addOption(new Option('-b, --browser <name>', 'browser to run in').choices(BROWSERS).default('chromium'))
    .addOption(oneTransportOption('at every candidate'))
    .option('-o, --report-dir <dir>', 'where the report of every step goes', 'reports')
    .addHelpText(
      'after',
      '\nExit codes: 0 the first bad commit was named, 2 usage error (refs, repository, or ends that do not fail/pass as claimed).',
    )
    .action(
      async (
        file: string,
        o: {
          repo: string;
          good: string;
          bad: string;
          appSubdir: string;
          target: string;
          browser: string;
          reportDir: string;
          transport?: string;
        },
      ) => {
        const [scenario] = loadAll([file]);
        const launcher = launcherFor(o.browser);
        const missing = launcher.missing();
        if (missing) throw new UsageError(`sse-harness: ${missing}`);
        writableOrUsage(() => checkWritableDir(o.reportDir, `--report-dir ${o.reportDir}`));
        const r = await bisect({
          repo: o.repo,
          good: o.good,
          bad: o.bad,
          scenario: scenario!,
          target: o.target,
          appSubdir: o.appSubdir,
          launcher,
          reportDir: o.reportDir,
          transport: o.transport,
          log: (l) => toStderr(`${oneLine(l)}\n`),
        });
        toStdout(
          `${r.steps.map((s) => `${s.commit.slice(0, 10)} ${s.verdict.padEnd(4)} ${oneLine(s.subject)}`).join('\n')}\n\nfirst bad commit: ${r.firstBad.commit} ${oneLine(r.firstBad.subject)}\nreport: ${r.report}\n`,
        );
        process.exitCode = EXIT.ok;
      },
    );

  program
    .command('sweep')
    .description(
      "run scenarios at each ref of a chat UI's history (each in a temporary git worktree) and print the history: a row per ref, a cell per scenario and browser",
    )
    .argument('[scenarios...]', "scenario files or folders (default: the config's scenarios)")
    .option('-c, --config <file>', CONFIG_HELP)
    .requiredOption('--repo <path>', 'git checkout of the chat UI (its working tree is never touched)')
    .requiredOption(
      '--refs <spec>',
      'which refs: a list, a range of tags A..B, a pick (every:N, spread:N, last:N); see below',
    )
    .option('--commits', 'ranges walk commits instead of tags')
    .option('--tag-pattern <glob>', "only tags matching this glob count (e.g. 'v*')")
    .option('--app-subdir <dir>', 'folder of the UI inside the repository, passed to the target as --app-dir', '.')
    .addOption(targetOption())
    .addOption(
      new Option('-b, --browser <list>', `browsers, comma-separated (${BROWSERS.join(', ')})`)
        .argParser(names)
        .default(['chromium']),
    )
    .addOption(oneTransportOption('at every ref'))
    .option(
      '--boot-timeout <s>',
      "seconds the UI gets to become ready at a run's first open before the run is a boot failure (default 15)",
      intIn(1, 600),
    )
    .option(
      '-w, --workers <n>',
      `runs at once, each worker keeping its browsers across refs (default: ${defaultWorkers()} on this machine)`,
      intIn(1, 32),
    )
    .option(
      '-o, --report-dir <dir>',
      "where the sweep goes: <dir>/<ref>/ each ref's report, <dir>/sweep.json and sweep.html",
      'reports/sweep',
    )
    .option('--dry-run', 'list the refs the sweep would run, then stop')
    .option(
      '--resume',
      'go on from the sweep.json an interrupted sweep left in --report-dir: refs it finished are kept, the rest run',
    )
    .option(
      '--shard <i/n>',
      'run only the refs dealt to shard i of n (1 ≤ i ≤ n ≤ 1000; whole refs, the same on every machine); its sweep.json is a partial sweep, and blob-<i>-of-<n>.json beside it is for merge-reports',
      shardArg,
    )
    .option(
      '--backend <list>',
      "mock, real, or mock,real: play the runs against the mock, the checkout's own server with the stub agent, or both (then <dir>/mock/ and <dir>/real/ and a list of the cells where their verdicts differ)",
      backendsArg,
      ['mock'],
    )
    .addHelpText(
      'after',
      `\n${REFS_GRAMMAR}\n\nExamples:\n${REFS_EXAMPLES}\n  sse-harness sweep scenarios/lock-unlock.yaml --repo ../hermes-webui -t hermes-webui --refs v0.51.0..:spread:26 -b chromium,webkit\n\nExit codes: 0 every cell judged (failing cells are findings, not errors), 2 usage error (a ref, the\nrepository, a scenario) or a cell the harness could not judge (ERROR: the UI could not be served or run at that\nref), after the whole sweep ran and its reports were written.`,
    )
    .action(
      async (
        paths: string[],
        o: {
          repo: string;
          refs: string;
          commits?: boolean;
          tagPattern?: string;
          appSubdir: string;
          target: string;
          browser: string[];
          workers?: number;
          bootTimeout?: number;
          reportDir: string;
          dryRun?: boolean;
          resume?: boolean;
          shard?: Shard;
          backend: Backend[];
          transport?: string;
        },
      ) => {
        if (!paths.length) paths = configScenarios ?? [];
        if (!paths.length)
          throw new UsageError(
            'sse-harness sweep: name the scenario files or folders to run at each ref (or list them as scenarios: in sse-harness.config.ts).',
          );
        const repo = openRepo(o.repo, '--repo', "sweep needs the UI's git history.");
        if (!targetNames().includes(o.target))
          throw new UsageError(
            `sse-harness: unknown target "${o.target}". Known targets: ${targetNames().join(', ')}.`,
          );
        const refs = resolveRefs(repo, o.refs, { commits: o.commits, tagPattern: o.tagPattern });
        const scenarios = loadAll(paths);
        const ours = refsOfShard(refs, o.shard);
        const shardNote = o.shard ? ` (shard ${shardLabel(o.shard)}: ${ours.length} of ${refs.length} refs)` : '';
        if (o.dryRun) {
          toStdout(
            `${ours.map((r) => `${oneLine(r.label).padEnd(20)} ${r.commit.slice(0, 10)} ${r.date.slice(0, 10)} ${oneLine(r.subject)}`).join('\n')}\n\n${ours.length} ref${ours.length === 1 ? '' : 's'} × ${scenarios.length * o.browser.length} run${scenarios.length * o.browser.length === 1 ? '' : 's'} each${o.backend.length > 1 ? ', on the mock and again on the real server' : o.backend[0] === 'real' ? ', on the real server' : ''}${shardNote}\n`,
          );
          return;
        }
        for (const b of o.browser) {
          if (!(BROWSERS as readonly string[]).includes(b))
            throw new UsageError(`sse-harness: --browser ${b}: unknown browser (known: ${BROWSERS.join(', ')})`);
          const missing = launcherFor(b).missing();
          if (missing) throw new UsageError(`sse-harness: ${missing}`);
        }
        if (o.backend.includes('real') && !hasOwnServer(o.target))
          throw new UsageError(
            `sse-harness: --backend real: the ${o.target} target has no server of its own to start. Use -t hermes-webui, or leave out --backend.`,
          );
        const log = (l: string) => toStderr(`${oneLine(l)}\n`);
        const both = o.backend.length > 1;
        const done: { backend: Backend; summary: SweepSummary; file: string }[] = [];
        for (const backend of o.backend) {
          const dir = both ? join(o.reportDir, backend) : o.reportDir;
          log(
            `sse-harness sweep: ${ours.length} ref${ours.length === 1 ? '' : 's'} × ${scenarios.length * o.browser.length} run${scenarios.length * o.browser.length === 1 ? '' : 's'} against target "${o.target}"${o.transport ? ` over ${o.transport}` : ''}${backend === 'real' ? ' on its own server' : ''}${shardNote}`,
          );
          const resume = o.resume
            ? earlierSweep(dir, {
                target: o.target,
                appSubdir: o.appSubdir,
                browsers: o.browser,
                scenarios,
                shard: o.shard,
                backend,
                transport: o.transport,
              })
            : undefined;
          writableOrUsage(() => checkWritableDir(dir, `--report-dir ${dir}`));
          const { summary, file } = await sweep({
            resume,
            repo,
            refsSpec: o.refs,
            refs,
            scenarios,
            browsers: o.browser,
            target: o.target,
            appSubdir: o.appSubdir,
            reportDir: dir,
            workers: o.workers ?? defaultWorkers(),
            bootTimeoutMs: o.bootTimeout && o.bootTimeout * 1000,
            launcherFor,
            command: process.argv.slice(2),
            log,
            shard: o.shard,
            backend,
            transport: o.transport,
          });
          if (wasInterrupted()) return;
          done.push({ backend, summary, file });
        }
        if (o.shard && !ours.length)
          toStdout(
            `sse-harness: shard ${shardLabel(o.shard)}: none of the ${refs.length} ref${refs.length === 1 ? '' : 's'} falls to this shard; nothing to run\n`,
          );
        for (const d of done)
          toStdout(
            `\n${both ? `${d.backend} backend:\n` : ''}${sweepTable(d.summary)}\n\nhistory: ${d.file.replace(/\.json$/, '.html')}\nsummary: ${d.file}\n`,
          );
        if (both) toStdout(`\n${backendDiffText(diffSweeps(done[0]!.summary, done[1]!.summary), o.reportDir)}\n`);
        process.exitCode = done.some((d) => d.summary.totals.errors) ? EXIT.usage : EXIT.ok;
      },
    );

  program
    .command('sweep-diff')
    .description(
      'compare two sweeps of the same history cell by cell: which cells changed verdict, or failed on other oracles',
    )
    .argument('<a>', 'the first sweep.json')
    .argument('<b>', 'the second sweep.json')
    .option('--strict', 'also fail when a cell failed in both sweeps but on different oracles')
    .addHelpText(
      'after',
      '\nCells are matched by commit, scenario and browser; cells one sweep did not run are counted, not compared.\nRun a sweep twice on unchanged code before trusting its table: a cell that differs is noise (load, a race in\nthe UI, a budget too tight), not history.\n\nExit codes: 0 the sweeps agree, 1 a cell differs (in verdict; with --strict, also in failing oracles), 2 a file\nthat is not a sweep summary.',
    )
    .action((a: string, b: string, o: { strict?: boolean }) => {
      let d;
      try {
        d = diffSweeps(readSweep(a), readSweep(b));
      } catch (e) {
        if (e instanceof SweepFileError) throw new UsageError(`sse-harness sweep-diff: ${e.message}`);
        throw e;
      }
      if (!d.compared)
        throw new UsageError(
          `sse-harness sweep-diff: no cell was run in both ${a} and ${b}: sweeps of the same repository, refs, scenarios and browsers compare.`,
        );
      toStdout(`${sweepDiffText(d, a, b)}\n`);
      const differ = o.strict ? d.differing.length : d.compared - d.sameVerdict;
      process.exitCode = differ ? EXIT.regression : EXIT.ok;
    });

  program
    .command('conformance')
    .description(
      "ask a checkout's real server and the mock the same wire-level questions (connect, reconnect with each cursor, a second tab, an ended run, status, headers) and show where their answers differ",
    )
    .option('-t, --target <name>', 'the target whose server to start', 'hermes-webui')
    .requiredOption('--app-dir <path>', 'checkout of the chat UI whose server to ask')
    .option('--case <names>', `only these cases, comma-separated (${CASES.map((c) => c.name).join(', ')})`, list)
    .option('--json', 'print the result as JSON instead of a table')
    .addOption(
      new Option(
        '--mock-resume <behaviour>',
        'play this resume behaviour in the mock instead of the one read from the checkout, to see which cases a wrong model gets wrong',
      ).choices(RESUME_BEHAVIOURS),
    )
    .addHelpText(
      'after',
      "\nNo browser: each case starts a chat over HTTP, on both servers at once, with the same script (5 tokens, a\npause, 5 more, a long pause), and reduces each reply to what a UI acts on: the tokens in order, the end events,\nwhether the server ended the response. Timing is not compared. The real server runs with the harness's stub\nagent (python3, see --backend real). Exit codes: 0 every case agrees, 1 a case differs, 2 bad arguments or a\nserver that cannot start.",
    )
    .action(
      async (o: { target: string; appDir: string; case?: string[]; json?: boolean; mockResume?: ResumeBehaviour }) => {
        if (targetNames().includes(o.target) && !hasOwnServer(o.target))
          throw new UsageError(
            `sse-harness conformance: the ${o.target} target has no server of its own to start. Use -t hermes-webui.`,
          );
        let target: Target;
        try {
          target = targetFor(o.target, { appDir: o.appDir });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const unknown = (o.case ?? []).filter((n) => !CASES.some((c) => c.name === n));
        if (unknown.length)
          throw new UsageError(
            `sse-harness conformance: no case named ${unknown.join(', ')}. Known: ${CASES.map((c) => c.name).join(', ')}`,
          );
        let r: ConformanceResult;
        try {
          r = await runConformance(target, {
            cases: o.case,
            mockResume: o.mockResume,
            progress: o.json ? undefined : (line) => toStderr(`  ${line}\n`),
          });
        } catch (e) {
          throw new UsageError(`sse-harness conformance: ${(e as Error).message}`);
        }
        toStdout(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${conformanceText(r)}\n`);
        process.exitCode = r.rows.every((x) => x.agree) ? EXIT.ok : EXIT.regression;
      },
    );

  program
    .command('watch')
    .description(
      'attach to a Chromium started with --remote-debugging-port and show its EventSources, pool and stalls live',
    )
    .requiredOption('--attach <port|ws-url>', 'DevTools port (9222), host:port, or ws:// URL of the browser')
    .option('--interval <ms>', 'refresh every ms', intIn(100, 60_000), 1000)
    .option('--duration <s>', 'stop by itself after s seconds (default: at Ctrl-C)', intIn(1, 86_400))
    .option('--stacks', 'record where each EventSource was created (installs the in-page probe; reload the page)')
    .option('--plain', 'one line per page per refresh instead of redrawing the screen (default when not a terminal)')
    .option('-o, --report-dir <dir>', 'where the report goes when watching ends', 'reports')
    .addHelpText(
      'after',
      '\nStart the browser with e.g.  chromium --remote-debugging-port=9222  then click around; Ctrl-C writes the\nrecorded timeline as a normal report (JSON, HTML, JUnit, Markdown). Exit codes: 0 no pool exhaustion seen,\n1 the pool ran out at some point, 2 cannot attach.',
    )
    .action(
      async (o: {
        attach: string;
        interval: number;
        duration?: number;
        stacks?: boolean;
        plain?: boolean;
        reportDir: string;
      }) => {
        writableOrUsage(() => checkWritableDir(o.reportDir, `--report-dir ${o.reportDir}`));
        const r = await watch({
          attach: o.attach,
          intervalMs: Math.max(50, o.interval),
          durationMs: o.duration !== undefined ? o.duration * 1000 : undefined,
          stacks: o.stacks,
          plain: o.plain,
          reportDir: resolve(o.reportDir),
        });
        const peaks = Object.entries(r.peaks);
        toStdout(
          `\nwatched ${peaks.length} page${peaks.length === 1 ? '' : 's'}: ${peaks.map(([u, n]) => `${oneLine(u)} peak ${n}`).join(', ') || 'none'}\nreport: ${r.report}\n`,
        );
        const report = JSON.parse(readFileSync(r.report, 'utf8')) as { results: { findings: unknown[] }[] };
        process.exitCode = report.results.some((x) => x.findings.length) ? EXIT.regression : EXIT.ok;
      },
    );

  program
    .command('merge-reports')
    .description(
      'put the shards of one run or sweep (each made with --shard i/n, on any machine) back together: the JSON, JUnit, HTML and Markdown reports of the whole, or the whole sweep',
    )
    .argument(
      '<dirs...>',
      "the shards' report folders (each with its blob-<i>-of-<n>.json; a sweep shard's with its sweep.json and ref folders), or blob files",
    )
    .option('-o, --report-dir <dir>', 'where the merged reports go', 'reports/merged')
    .option(
      '--allow-partial',
      'merge the shards there are when some are missing (the merged report says it is incomplete)',
    )
    .addHelpText(
      'after',
      `
The shards must be of one command: the same scenarios, browsers and options, each --shard i/n of the same n.
Results come in the order an unsharded run has them; the reports are those an unsharded run writes (a sweep:
sweep.json, sweep.html and each ref's folder).

Examples:
  sse-harness run scenarios --shard 1/2 -o reports/shard-1      # on one machine
  sse-harness run scenarios --shard 2/2 -o reports/shard-2      # on another
  sse-harness merge-reports reports/shard-1 reports/shard-2 -o reports/all

Exit codes: as run (and sweep) would have: 0 every run as expected, 1 a regression, 2 bad input (a blob that is
not one, shards of different runs, a shard twice or missing) or a run the harness could not judge.`,
    )
    .action((dirs: string[], o: { reportDir: string; allowPartial?: boolean }) => {
      // Every input is checked before the destination is made: bad input leaves nothing behind.
      const destination = () => writableOrUsage(() => checkWritableDir(o.reportDir, `--report-dir ${o.reportDir}`));
      try {
        const found = byKind(findBlobs(dirs));
        const partial = (missing: number[], total: number) =>
          missing.length &&
          toStderr(
            `sse-harness merge-reports: shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${total}`).join(', ')} missing (--allow-partial): the merged report is incomplete\n`,
          );
        if (found.kind === 'sweep') {
          const m = mergeSweeps(found.sweeps, o.reportDir, !!o.allowPartial, destination);
          partial(m.missing, m.total);
          toStdout(`${sweepTable(m.summary)}\n\nhistory: ${m.file.replace(/\.json$/, '.html')}\nsummary: ${m.file}\n`);
          process.exitCode = m.summary.totals.errors ? EXIT.usage : EXIT.ok;
          return;
        }
        const m = mergeRuns(found.runs, !!o.allowPartial);
        partial(m.missing, m.total);
        destination();
        const file = writeReport(resolve(o.reportDir), m.report);
        const results = m.report.results;
        const known = m.report.gate?.known;
        const knownText = known ? `\n\n${knownLines(known.file, known.entries).join('\n')}` : '';
        const table = m.cells
          ? `${verdictTable(results.filter((r) => r.expected !== 'catch'))}${knownText}\n\nDetection matrix (each class switched on in the reference UI must be flagged by its oracle):\n\n${matrixTable(m.cells, m.report.browsers)}`
          : `${verdictTable(results)}${knownText}`;
        toStdout(`${table}\n\nreport: ${file}\n`);
        process.exitCode = { ok: EXIT.ok, regression: EXIT.regression, error: EXIT.usage }[mergedOutcome(m)];
      } catch (e) {
        if (e instanceof MergeError) throw new UsageError(e.message);
        throw e;
      }
    });

  program
    .command('doctor')
    .description('say which browsers and drivers this machine has, and how to install what is missing')
    .addHelpText('after', '\nExit codes: 0 everything found, 1 something is missing (the hint says how to install it).')
    .action(() => {
      const r = doctorReport(doctor());
      toStdout(`${r.text}\n`);
      process.exitCode = r.ok ? EXIT.ok : EXIT.regression;
    });

  program
    .command('schema')
    .description(
      'print the JSON Schema of scenario files (for editors: yaml-language-server, VS Code), or with --report of the JSON report',
    )
    .option('--report', 'the JSON report schema instead (schemas/report.schema.json, docs/report.md)')
    .option('--known', 'the schema of known-findings files instead (--known; schemas/known.schema.json)')
    .option('--blob', 'the schema of shard blobs instead (--shard, merge-reports; docs/report.md)')
    .action((o: { report?: boolean; known?: boolean; blob?: boolean }) => {
      toStdout(
        `${JSON.stringify(o.report ? reportJsonSchema() : o.known ? knownJsonSchema() : o.blob ? blobJsonSchema() : scenarioJsonSchema(), null, 2)}\n`,
      );
    });

  return program;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    if (err.code?.startsWith('commander.')) return EXIT.usage;
    // The message may quote a scenario value or a browser's last words: escaped and cut like any untrusted text.
    toStderr(
      `${terminalText(err instanceof ScenarioError || err instanceof UsageError || err.message.startsWith('sse-harness:') ? err.message : `sse-harness: internal error: ${err.stack}`, { max: ERROR_MAX })}\n`,
    );
    return EXIT.usage;
  } finally {
    await reapAll();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().then((code) => process.exit(code));
}
