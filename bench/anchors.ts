// npm run bench:anchors [-- --rounds N --tools harness,fuite,memlab --cache DIR --deadline S]
// The reference UI's switch leak (switch-return with leak-on-switch, Chromium) and the same page healthy, through the
// harness, fuite and memlab in alternating rounds, each a whole command timed from spawn to exit. Prints per tool and
// page: time to verdict, whether it reported a leak and named the EventSource, false alarms, exit codes; the raw
// output of every run goes to reports/bench-anchors-<stamp>.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { findChromium } from '../harness/driver/chromium.ts';
import { reapAll, spawnTracked } from '../harness/driver/reaper.ts';
import { oneLine, printable } from '../harness/printable.ts';
import { mdCell, mdText } from '../harness/report/markdown-text.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { median } from './median.ts';
import { read, fuiteSummary, type Finished, type Reading, type Tool } from './anchors/classify.ts';
import { ANSWER_SECONDS, createsEventSource, LEAK, serveReference, type ServedPage } from './anchors/serve.ts';
import {
  CACHE_ENV,
  cacheDir,
  ensureTools,
  OTHER_TOOLS,
  PINNED,
  type Installed,
  type OtherTool,
} from './anchors/tools.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO = join(ROOT, 'scenarios', 'switch-return.yaml');
const HERE = join(ROOT, 'bench', 'anchors');
const TOOLS: Tool[] = ['harness', 'fuite', 'memlab'];
const PAGES = ['leak', 'healthy'] as const;
type Page = (typeof PAGES)[number];

const say = (s: string) => process.stderr.write(`${printable(s, { keepNewlines: true })}\n`);

class UsageError extends Error {}

function options() {
  const whole = (min: number, max: number) => (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
  const tools = (v: string) => {
    const l = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = l.filter((t) => !TOOLS.includes(t as Tool));
    if (!l.length || bad.length)
      throw new InvalidArgumentError(
        `expected some of ${TOOLS.join(', ')}, comma-separated${bad.length ? ` (not: ${bad.join(', ')})` : ''}`,
      );
    return TOOLS.filter((t) => l.includes(t));
  };
  return new Command('bench:anchors')
    .description('the switch leak and the healthy page through sse-harness, fuite and memlab, in alternating rounds')
    .option('--rounds <n>', 'rounds; each runs every tool on the leak, then on the healthy page', whole(1, 50), 3)
    .addOption(
      new Option('--tools <list>', `tools to run, comma-separated (${TOOLS.join(', ')})`)
        .argParser(tools)
        .default(TOOLS, 'all three'),
    )
    .option(
      '--cache <dir>',
      `where fuite and memlab are installed (default: $${CACHE_ENV}, else $XDG_CACHE_HOME/sse-harness/anchors, else ~/.cache/sse-harness/anchors)`,
    )
    .option(
      '--deadline <s>',
      'seconds a run may take before it is killed and counted as no verdict',
      whole(10, 3600),
      300,
    )
    .addHelpText(
      'after',
      `\nPinned: fuite@${PINNED.fuite}, memlab@${PINNED.memlab}, installed with npm on first use (no browser download: they drive the\nChromium the harness uses). Every answer streams ${ANSWER_SECONDS} s at the scenario's rate, so a leaked stream is still open when\nfuite or memlab looks. Exit codes: 0 the bench ran (whatever the tools found), 2 usage error or no Chromium.\n`,
    )
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .parse(process.argv)
    .opts<{ rounds: number; tools: Tool[]; cache?: string; deadline: number }>();
}

interface Run extends Finished {
  round: number;
  tool: Tool;
  page: Page;
  /** From spawn to exit. */
  ms: number;
  command: string[];
  reading: Reading;
  fuite?: unknown;
}

/** Runs a command to its exit, killing its process group at the deadline; the time is from spawn to exit. */
function timed(start: () => ChildProcess, deadlineMs: number): Promise<Finished & { ms: number }> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = start();
    let stdout = '';
    let stderr = '';
    let exitMs = 0;
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroupOf(child);
    }, deadlineMs);
    child.on('exit', () => (exitMs = performance.now() - t0));
    child.on('error', (e) => (stderr += `\n${e.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      // What a tool left behind in its group (a browser it did not close) ends with it.
      killGroupOf(child);
      done({ code, stdout, stderr, timedOut, ms: Math.round(exitMs || performance.now() - t0) });
    });
  });
}

const killGroupOf = (c: ChildProcess) => {
  try {
    if (c.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    /* the group is gone */
  }
};

async function runOnce(
  tool: Tool,
  page: Page,
  round: number,
  chromium: string,
  installed: Partial<Record<OtherTool, Installed>>,
  deadlineMs: number,
): Promise<Run> {
  const leak = page === 'leak';
  const scratch = mkdtempSync(join(tmpdir(), 'sse-anchors-'));
  let served: ServedPage | undefined;
  try {
    let command: string[];
    let finished: Finished & { ms: number };
    if (tool === 'harness') {
      command = [
        process.execPath,
        join(ROOT, 'bin', 'sse-harness.js'),
        'run',
        SCENARIO,
        ...(leak ? ['-r', LEAK] : []),
        '--fail-fast',
        '-b',
        'chromium',
        '-o',
        scratch,
      ];
      finished = await timed(
        () => spawn(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
        deadlineMs,
      );
    } else {
      const it = installed[tool];
      if (!it?.ok) throw new Error(it ? it.why : `${tool} not installed`);
      served = await serveReference(loadScenarioFile(SCENARIO), leak);
      if (tool === 'fuite') {
        // Chromium refuses to start sandboxed as root; the harness starts it with --no-sandbox too, and memlab always does.
        command = [
          ...it.command,
          served.url,
          '--scenario',
          join(HERE, 'fuite-scenario.mjs'),
          '--output',
          join(scratch, 'fuite.json'),
          '--browser-arg',
          '--no-sandbox',
        ];
        const env = { ...process.env, PUPPETEER_EXECUTABLE_PATH: chromium };
        finished = await timed(() => spawnTracked(command[0]!, command.slice(1), { cwd: scratch, env }), deadlineMs);
        try {
          finished.fuiteJson = readFileSync(join(scratch, 'fuite.json'), 'utf8');
        } catch {
          /* no results written: the reading says so */
        }
      } else {
        command = [
          ...it.command,
          'run',
          '--scenario',
          join(HERE, 'memlab-scenario.cjs'),
          '--chromium-binary',
          chromium,
          '--work-dir',
          join(scratch, 'memlab'),
        ];
        const env = { ...process.env, SSE_HARNESS_ANCHOR_URL: served.url };
        finished = await timed(() => spawnTracked(command[0]!, command.slice(1), { cwd: scratch, env }), deadlineMs);
      }
    }
    const reading = read(tool, finished, createsEventSource);
    const { fuiteJson, ...kept } = finished;
    return {
      ...kept,
      round,
      tool,
      page,
      command,
      reading,
      ...(tool === 'fuite' ? { fuite: fuiteSummary(fuiteJson) } : {}),
    };
  } catch (e) {
    const why = (e as Error).message;
    return {
      round,
      tool,
      page,
      ms: 0,
      code: null,
      stdout: '',
      stderr: why,
      command: [],
      reading: { verdict: 'none', namesEventSource: false, named: '', why: `not started: ${why}` },
    };
  } finally {
    await served?.stop();
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  }
}

const secs = (ms: number) => (ms / 1000).toFixed(1);
const cell = (s: string) => mdCell(mdText(s, 400));

function summarize(runs: Run[], tools: Tool[], versions: Record<Tool, string>) {
  const rows = tools.flatMap((tool) =>
    PAGES.map((page) => {
      const mine = runs.filter((r) => r.tool === tool && r.page === page);
      const judged = mine.filter((r) => r.reading.verdict !== 'none');
      const times = judged.map((r) => r.ms);
      const leaks = judged.filter((r) => r.reading.verdict === 'leak').length;
      const named = judged.filter((r) => r.reading.namesEventSource).length;
      const first = mine.find((r) => r.reading.verdict === 'leak') ?? mine.find((r) => r.reading.verdict === 'none');
      return {
        tool,
        version: versions[tool],
        page,
        runs: mine.length,
        judged: judged.length,
        medianMs: times.length ? median(times) : null,
        minMs: times.length ? Math.min(...times) : null,
        maxMs: times.length ? Math.max(...times) : null,
        leakReported: leaks,
        namesEventSource: named,
        exitCodes: mine.map((r) => (r.timedOut ? 'killed' : String(r.code))),
        said: first
          ? first.reading.verdict === 'none'
            ? `no verdict: ${first.reading.why}`
            : first.reading.named
          : '',
      };
    }),
  );
  const n = (k: number, of: number) => `${k} of ${of}`;
  const markdown = [
    '| tool | page | time to verdict, median (range) | leak reported | names EventSource | exit codes | what it said (first run with a finding) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      [
        `${r.tool} ${r.version}`,
        r.page === 'leak' ? `switch leak (${LEAK})` : 'healthy',
        r.medianMs === null
          ? '— (no verdict)'
          : `${secs(r.medianMs)} s (${secs(r.minMs!)}–${secs(r.maxMs!)} s)${r.judged < r.runs ? `, ${r.runs - r.judged} of ${r.runs} without a verdict` : ''}`,
        r.page === 'leak' ? n(r.leakReported, r.runs) : `${n(r.leakReported, r.runs)} (false alarms)`,
        n(r.namesEventSource, r.runs),
        r.exitCodes.join(', '),
        cell(r.said || '—'),
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    ),
  ].join('\n');
  return { rows, markdown };
}

async function main() {
  let opts: ReturnType<typeof options>;
  try {
    opts = options();
  } catch (e) {
    const err = e as { code?: string; message: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return;
    throw new UsageError(`bench:anchors: ${err.message.replace(/^error: /, '')} (see npm run bench:anchors -- --help)`);
  }
  const chromium = findChromium();
  if (!chromium)
    throw new UsageError(
      "bench:anchors: no Chromium found (Playwright's or /usr/bin/chromium): run npm run setup, or point SSE_HARNESS_CHROMIUM at one",
    );
  const engine = spawnSync(chromium.path, ['--version'], { encoding: 'utf8' }).stdout?.trim() || chromium.path;
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
  say(`bench:anchors on ${machine}; ${engine} (${chromium.path}); ${opts.rounds} round(s)`);

  const others = opts.tools.filter((t): t is OtherTool => OTHER_TOOLS.includes(t as OtherTool));
  const cache = cacheDir(opts.cache);
  const installed: Partial<Record<OtherTool, Installed>> = others.length ? ensureTools(cache, others, say) : {};
  const versions = { harness: `(this checkout)`, fuite: `${PINNED.fuite}`, memlab: `${PINNED.memlab}` } as Record<
    Tool,
    string
  >;
  for (const t of others) {
    const it = installed[t]!;
    say(it.ok ? `  ${t}@${it.version}: ${it.command.join(' ')}` : `  ${t}: ${it.why}`);
    if (!it.ok) versions[t] += ' (not installed)';
  }
  // The harness's first command builds its bundle once; every timed run after it starts from the bundle, as users' do.
  if (opts.tools.includes('harness'))
    spawnSync(process.execPath, [join(ROOT, 'bin', 'sse-harness.js'), 'validate', SCENARIO], {
      cwd: ROOT,
      stdio: 'ignore',
    });

  const runs: Run[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const page of PAGES) {
      for (const tool of opts.tools) {
        const r = await runOnce(tool, page, round, chromium.path, installed, opts.deadline * 1000);
        runs.push(r);
        const what =
          r.reading.verdict === 'none'
            ? `no verdict (${r.reading.why})`
            : `${r.reading.verdict}${r.reading.namesEventSource ? ', names EventSource' : ''}`;
        say(
          `  round ${round} · ${page} · ${tool}: ${secs(r.ms)} s, exit ${r.timedOut ? 'killed' : r.code}: ${oneLine(what, 300)}`,
        );
      }
    }
  }

  const summary = summarize(runs, opts.tools, versions);
  const at = new Date().toISOString();
  const out = {
    at,
    machine,
    chromium: { path: chromium.path, source: chromium.source, version: engine },
    rounds: opts.rounds,
    scenario: 'scenarios/switch-return.yaml',
    regression: LEAK,
    answerSeconds: ANSWER_SECONDS,
    tools: Object.fromEntries(
      opts.tools.map((t) => [t, t === 'harness' ? { version: 'this checkout' } : installed[t as OtherTool]]),
    ),
    cache,
    summary: summary.rows,
    markdown: summary.markdown,
    runs,
  };
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  const file = join(ROOT, 'reports', `bench-anchors-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(
    `${printable(`Measured ${at} on ${machine}, ${engine}; ${opts.rounds} round(s), alternating.\n\n${summary.markdown}\n\nevery run's output: ${file}`, { keepNewlines: true })}\n`,
  );
}

main()
  .catch((e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`${oneLine(e.message)}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`bench:anchors: ${printable((e as Error).stack, { keepNewlines: true })}\n`);
      process.exitCode = 1;
    }
  })
  .finally(() => reapAll());
