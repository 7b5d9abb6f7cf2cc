// Runs the real CLI as a child process for tests, with its own TMPDIR so leftovers can be found exactly.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { expect } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'sse-harness.js');

export interface CliRun {
  child: ChildProcess;
  tmp: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stderr or stdout contains text (or rejects at the deadline). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

export function startCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): CliRun {
  const tmp = mkdtempSync(join(tmpdir(), 'sse-harness-clitest-'));
  made.add(tmp);
  // "TMP" in an argument stands for this run's private temp folder.
  args = args.map((a) => a.replace(/^TMP(?=\/|$)/, tmp));
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, TMPDIR: tmp, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => ((out += d), waiters.forEach((w) => w())));
  child.stderr!.on('data', (d: Buffer) => ((err += d), waiters.forEach((w) => w())));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on('exit', (code, signal) => ok({ code, signal })),
  );
  return {
    child,
    tmp,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(text, timeoutMs = 60_000) {
      const has = () => (typeof text === 'string' ? (out + err).includes(text) : text.test(out + err));
      return new Promise((ok, fail) => {
        if (has()) return ok();
        const timer = setTimeout(
          () => fail(new Error(`CLI never printed ${text} within ${timeoutMs} ms.\nstdout:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        const check = () => has() && (clearTimeout(timer), ok());
        waiters.push(check);
        void exited.then(() =>
          setTimeout(
            () =>
              !has() &&
              (clearTimeout(timer),
              fail(new Error(`CLI exited before printing ${text}.\nstdout:\n${out}\nstderr:\n${err}`))),
            50,
          ),
        );
      });
    },
  };
}

export async function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const r = startCli(args, env, cwd);
  const { code } = await r.exited;
  const stdout = r.stdout();
  const stderr = r.stderr();
  // For assertion messages: what a reviewer of a red CI log needs, the output and the runs that went wrong.
  const explain = () => [`stdout:\n${stdout}`, `stderr:\n${stderr}`, ...reportDigests(r.tmp)].join('\n');
  return { code, stdout, stderr, tmp: r.tmp, explain };
}

/** The runs of every latest.json under dir that did not end as expected: verdicts, step failures, their last events. */
function reportDigests(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory() && depth < 3) walk(join(d, f.name), depth + 1);
      else if (f.name === 'latest.json') {
        try {
          const report = JSON.parse(readFileSync(join(d, f.name), 'utf8'));
          for (const x of report.results ?? []) {
            if (x.verdict === (x.expected === 'catch' ? 'fail' : 'pass')) continue;
            const events = (x.timeline ?? [])
              .filter((e: { kind: string }) => !['text', 'stall', 'probe-pause'].includes(e.kind))
              .slice(-40);
            out.push(
              `run ${x.scenario} · ${x.browser}${x.regress?.length ? ` · regress ${x.regress.join(',')}` : ''}: ${x.verdict}${x.error ? ` (${x.error})` : ''}`,
              ...(x.verdicts ?? [])
                .filter((v: { pass: boolean }) => !v.pass)
                .map((v: { oracle: string; summary: string }) => `  ${v.oracle}: ${v.summary}`),
              '  last events:',
              ...events.map((e: object) => `    ${JSON.stringify(e).slice(0, 240)}`),
            );
          }
        } catch {
          /* not a report */
        }
      }
    }
  };
  try {
    walk(dir, 0);
  } catch {
    /* no folder */
  }
  return out;
}

/** Processes whose command line mentions a path (e.g. the run's private TMPDIR). */
/** Also finds descendants that inherited TMPDIR=path (drivers, Xvfb, browser helpers whose arguments do not name it). */
export function processesMentioning(path: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  const self = String(process.pid);
  return out.split('\n').filter((l) => {
    const pid = l.trim().split(/\s+/)[0] ?? '';
    if (!/^\d+$/.test(pid) || pid === self || l.includes('ps -eo')) return false;
    if (l.includes(path)) return true;
    try {
      // A run keeps its temp files in a run folder inside its TMPDIR, and hands that folder on as TMPDIR.
      return readFileSync(`/proc/${pid}/environ`, 'latin1')
        .split('\0')
        .some((kv) => kv === `TMPDIR=${path}` || kv.startsWith(`TMPDIR=${path}/`));
    } catch {
      return false;
    }
  });
}

/** What a run left in its private TMPDIR: our folders, and any a browser or Playwright made for itself (Chromium's Singleton*, artifacts). */
export function leftoverTempDirs(tmp: string): string[] {
  return readdirSync(tmp).filter(
    (f) =>
      f.startsWith('sse-harness-') ||
      f.startsWith('org.chromium.') ||
      f.startsWith('.org.chromium.') ||
      f.startsWith('playwright-artifacts-'),
  );
}

// The tests' private TMPDIRs go when the test worker does.
const made = new Set<string>();
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Each command line is a usage error: exit 2, stderr matching its message, no stack trace, no report folder made. */
export async function expectUsageErrors(cases: [string[], RegExp][]): Promise<void> {
  for (const [args, message] of cases) {
    const r = await runCli([...args, '--report-dir', 'TMP/reports']);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(message);
    expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    expect(existsSync(join(r.tmp, 'reports')), args.join(' ')).toBe(false);
  }
}
