// npm run bench:commands [-- --only gate,switch-leak,shards --rounds 3] : whole commands, timed from spawn to exit
// in alternating rounds (round 1 of each, then round 2 of each...), so a machine that drifts through the day moves
// every figure alike. Prints the median and range of each with its exit codes, and writes reports/bench-commands-*.json.
//  switch-leak  the reference UI's switch leak caught in Chromium, stopping at the verdict
//  gate         the hermes-webui gate: three scenarios, Chromium and WebKit (needs HERMES_WEBUI_DIR)
//  shards       the same gate as two shards one after the other, then merge-reports; the merged verdicts must
//               equal the unsharded run's (needs HERMES_WEBUI_DIR)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { calibrationMs } from './calibrate.ts';
import { median } from './median.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'sse-harness.js');
const say = (s: string) => process.stderr.write(`${s}\n`);

const GATE_SCENARIOS = ['scenarios/switch-return.yaml', 'scenarios/return-reattach.yaml', 'scenarios/lock-unlock.yaml'];

interface Timed {
  ms: number;
  code: number | null;
  /** scenario · browser → verdict, from the run's JSON report. */
  verdicts: string[];
}

/** Runs the CLI once with its reports in a fresh folder; wall time from spawn to exit. */
function timeCli(args: string[], dir: string): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args, '--report-dir', dir, '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, code: r.status, verdicts: verdictsIn(dir) };
}

function verdictsIn(dir: string): string[] {
  const f = join(dir, 'latest.json');
  if (!existsSync(f)) return [];
  const report = JSON.parse(readFileSync(f, 'utf8')) as {
    results: { scenario: string; browser: string; verdict: string }[];
  };
  return report.results.map((r) => `${r.scenario} · ${r.browser} → ${r.verdict}`).sort();
}

type Case = { name: string; what: string; run: (dir: string) => Timed; skip?: string };

function cases(appDir: string | undefined): Case[] {
  const noApp = appDir ? undefined : 'HERMES_WEBUI_DIR is not set (a hermes-webui checkout)';
  const gateArgs = [
    ...GATE_SCENARIOS,
    '--target',
    'hermes-webui',
    '--app-dir',
    appDir ?? '',
    '--browser',
    'chromium,webkit',
  ];
  return [
    {
      name: 'switch-leak',
      what: 'sse-harness run scenarios/switch-return.yaml --regress leak-on-switch --fail-fast',
      run: (dir) => timeCli(['run', 'scenarios/switch-return.yaml', '--regress', 'leak-on-switch', '--fail-fast'], dir),
    },
    {
      name: 'gate',
      what: `sse-harness run ${GATE_SCENARIOS.join(' ')} --target hermes-webui --app-dir $HERMES_WEBUI_DIR --browser chromium,webkit`,
      run: (dir) => timeCli(['run', ...gateArgs], dir),
      skip: noApp,
    },
    {
      name: 'shards',
      what: 'the gate as --shard 1/2 and --shard 2/2, one after the other, then sse-harness merge-reports',
      run: (dir) => {
        const parts = [1, 2].map((i) => timeCli(['run', ...gateArgs, '--shard', `${i}/2`], join(dir, `shard-${i}`)));
        const t0 = process.hrtime.bigint();
        const m = spawnSync(
          process.execPath,
          [CLI, 'merge-reports', join(dir, 'shard-1'), join(dir, 'shard-2'), '--report-dir', join(dir, 'merged')],
          { cwd: ROOT, encoding: 'utf8' },
        );
        const mergeMs = Number(process.hrtime.bigint() - t0) / 1e6;
        return { ms: parts[0]!.ms + parts[1]!.ms + mergeMs, code: m.status, verdicts: verdictsIn(join(dir, 'merged')) };
      },
      skip: noApp,
    },
  ];
}

const sec = (ms: number) => (ms / 1000).toFixed(1);

function main() {
  const o = new Command('bench:commands')
    .description('whole sse-harness commands timed from spawn to exit, in alternating rounds')
    .option('--only <names>', 'switch-leak, gate, shards (comma-separated)', 'switch-leak,gate,shards')
    .option('--rounds <n>', 'rounds of each command', (v) => Math.max(1, Math.min(20, Number.parseInt(v, 10) || 3)), 3)
    .parse()
    .opts<{ only: string; rounds: number }>();
  const want = new Set(o.only.split(',').map((s) => s.trim()));
  const all = cases(process.env.HERMES_WEBUI_DIR);
  for (const w of want)
    if (!all.some((c) => c.name === w))
      throw new Error(`bench:commands: --only ${w}: not one of ${all.map((c) => c.name).join(', ')}`);
  const chosen = all.filter((c) => want.has(c.name));
  for (const c of chosen.filter((c) => c.skip)) say(`${c.name}: skipped, ${c.skip}`);
  const runs = chosen.filter((c) => !c.skip);
  const work = mkdtempSync(join(tmpdir(), 'sse-harness-bench-'));
  const times = new Map<string, Timed[]>(runs.map((c) => [c.name, []]));
  const calibrations: number[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      calibrations.push(calibrationMs());
      for (const c of runs) {
        const t = c.run(join(work, `${c.name}-${round}`));
        times.get(c.name)!.push(t);
        say(`round ${round}/${o.rounds} ${c.name}: ${sec(t.ms)} s, exit ${t.code}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const rows = runs.map((c) => {
    const ts = times.get(c.name)!;
    const ms = ts.map((t) => t.ms);
    const same = ts.every((t) => JSON.stringify(t.verdicts) === JSON.stringify(ts[0]!.verdicts));
    return {
      name: c.name,
      command: c.what,
      medianMs: Math.round(median(ms)),
      minMs: Math.round(Math.min(...ms)),
      maxMs: Math.round(Math.max(...ms)),
      exits: ts.map((t) => t.code),
      verdictsAlike: same,
      verdicts: ts[0]!.verdicts,
    };
  });
  const gate = rows.find((r) => r.name === 'gate');
  const shards = rows.find((r) => r.name === 'shards');
  const merged = gate && shards ? JSON.stringify(gate.verdicts) === JSON.stringify(shards.verdicts) : undefined;
  process.stdout.write(
    [
      '| command | median | range | exit codes | same verdicts every round |',
      '|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${sec(r.medianMs)} s | ${sec(r.minMs)}–${sec(r.maxMs)} s | ${r.exits.join(', ')} | ${r.verdictsAlike ? 'yes' : 'NO'} |`,
      ),
    ].join('\n') +
      (merged === undefined
        ? '\n'
        : `\n\nmerged shards give the unsharded gate's verdicts: ${merged ? 'yes' : 'NO'}\n`) +
      `machine speed: SHA-256 of 256 MiB in ${Math.round(median(calibrations))} ms (median of the rounds; a slower machine takes longer)\n`,
  );
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  const file = join(ROOT, 'reports', `bench-commands-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpu: cpus()[0]?.model,
          memGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
          calibrationMs: calibrations.map(Math.round),
        },
        rounds: o.rounds,
        rows,
        mergedEqualsUnsharded: merged,
      },
      null,
      2,
    ),
  );
  say(`written to ${file}`);
}

try {
  main();
} catch (e) {
  say((e as Error).message);
  process.exitCode = 2;
}
