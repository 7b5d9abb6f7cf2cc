// npm run bench:suite [-- --rounds 3] : the harness's own `npm test`, timed whole from spawn to exit, round after
// round, with the machine's speed measured before each round (calibrate.ts). Prints each round, the median and range,
// and writes reports/bench-suite-<time>.json. A round that fails is reported as such: a fast red suite is no figure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { calibrationMs } from './calibrate.ts';
import { median } from './median.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const say = (s: string) => process.stderr.write(`${s}\n`);

const opts = new Command('bench:suite')
  .description('time `npm test` as a whole, several rounds')
  .option('--rounds <n>', 'rounds', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('a whole number from 1 to 20');
    return n;
  })
  .parse()
  .opts<{ rounds?: number }>();
const rounds = opts.rounds ?? 3;

const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
say(`bench:suite: ${rounds} rounds of npm test on ${machine}`);
const runs: { ms: number; code: number | null; calibrationMs: number; summary: string }[] = [];
for (let i = 1; i <= rounds; i++) {
  const calibration = calibrationMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync('npm', ['test'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // The summary reporter's last line: "N passed, N failed, N skipped".
  const summary = /\d+ passed, \d+ failed, \d+ skipped/.exec(r.stdout)?.[0] ?? `exit ${r.status}`;
  runs.push({ ms, code: r.status, calibrationMs: calibration, summary });
  // A failed round's output is kept: what failed under this load is worth reading.
  if (r.status !== 0) {
    const log = join(ROOT, 'reports', `bench-suite-round-${i}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    writeFileSync(log, `${r.stdout}\n${r.stderr}`);
    say(`  its output: ${log}`);
  }
  say(
    `round ${i}/${rounds}: ${(ms / 60_000).toFixed(2)} min, exit ${r.status} (${summary}); calibration ${calibration.toFixed(0)} ms`,
  );
}
const ok = runs.filter((r) => r.code === 0).map((r) => r.ms);
const min = (ms: number) => `${(ms / 60_000).toFixed(2)} min`;
const line = ok.length
  ? `npm test: ${min(median(ok))} (${min(Math.min(...ok))}–${min(Math.max(...ok))}) over ${ok.length} green round${ok.length === 1 ? '' : 's'}${ok.length < runs.length ? `; ${runs.length - ok.length} failed` : ''}`
  : 'npm test: no green round';
process.stdout.write(`${line}\n`);
mkdirSync(join(ROOT, 'reports'), { recursive: true });
const file = join(ROOT, 'reports', `bench-suite-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ machine, runs }, null, 2)}\n`);
say(`bench:suite: ${file}`);
process.exitCode = ok.length === runs.length ? 0 : 1;
