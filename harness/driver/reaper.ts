// ProcessReaper: every process and temp folder the harness starts is ended on success, failure, timeout and signals.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { markedEnv, OUTSIDE_LIST, ownerToken, runFolder, startTicks } from './owner.ts';
import { awaitGone, markedProcesses } from './orphans.ts';

type Cleanup = () => void | Promise<void>;

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const cleanups = new Set<Cleanup>();
let installed = false;

/** Kills a child's whole process group (browsers fork helpers) at once. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Synchronous last resort: runs on process exit, where nothing async can happen. */
function reapSync(): void {
  for (const c of children) killGroup(c);
  children.clear();
  // Some helpers leave the process group they were started in (Chromium's crash handler daemonizes itself); they
  // still carry this run's marker, and go too.
  const mine = ownerToken();
  const strays = markedProcesses()
    .filter((p) => p.marker.token === mine)
    .map((p) => p.pid)
    .filter((pid) => {
      try {
        process.kill(pid, 'SIGKILL');
        return true;
      } catch {
        return false;
      }
    });
  awaitGone(strays, 1000);
  for (const d of dirs) {
    try {
      // A browser killed a moment ago may still be writing into its folder.
      rmSync(d, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch {
      /* left for the next run's reaper (driver/orphans.ts) */
    }
  }
  dirs.clear();
}

let interrupted: NodeJS.Signals | null = null;
export const wasInterrupted = () => interrupted;

/** Signal handlers run registered async cleanups (write a partial report, close servers), then exit. */
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', reapSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (interrupted) {
        reapSync();
        process.exit(130);
      }
      interrupted = sig;
      process.stderr.write(`\nsse-harness: ${sig} received, stopping browsers and servers…\n`);
      const deadline = setTimeout(() => {
        reapSync();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }, 5000);
      void reapAll().finally(() => {
        clearTimeout(deadline);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
    });
  }
}

export function onCleanup(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function reapAll(): Promise<void> {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      /* keep cleaning */
    }
  }
  reapSync();
}

/** The run folder (owner.ts), removed on exit and signals; after a crash, by the next run. */
function ownFolder(): string {
  install();
  const f = runFolder();
  dirs.add(f);
  return f;
}

/**
 * For the command line: every temp file of this process (Playwright's artifacts, worktrees, profiles) goes into the
 * run folder, so an interrupted or killed run leaves one folder that the next run recognises and removes.
 */
export function adoptRunFolder(): void {
  process.env.TMPDIR = ownFolder();
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(ownFolder(), `sse-harness-${prefix}-`));
  dirs.add(d);
  return d;
}

/** A short temp folder in /tmp (Unix socket paths are limited), named with the owner's token for the next run's reaper. */
export function shortTempDir(prefix: string): string {
  install();
  const d = mkdtempSync(`/tmp/${prefix}${ownerToken()}-`);
  dirs.add(d);
  appendFileSync(join(ownFolder(), OUTSIDE_LIST), `${d}\n`);
  return d;
}

/** Registers a folder made elsewhere for removal on exit and signals, like tempDir's own. */
export function trackTempDir(d: string): string {
  install();
  dirs.add(d);
  return d;
}

export function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** Spawns in its own process group so the group can be killed with everything it forked. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const folder = ownFolder();
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
    env: markedEnv(opts.env ?? process.env),
    detached: true,
  });
  children.add(child);
  // Where /proc cannot show a process's marker, the group (the child's pid, as it leads its own) is recorded.
  if (child.pid && startTicks(process.pid) === null) appendFileSync(join(folder, 'groups'), `${child.pid}\n`);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Ends a tracked child: polite signal first, then SIGKILL after graceMs. */
export async function stopTracked(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
  // Helpers in the group may outlive the leader.
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* group empty */
  }
  children.delete(child);
}

/**
 * Test hook for the hygiene tests: with SSE_HARNESS_HOLD_AT=<point> the harness pauses there (printing one line)
 * so a test can send a signal at a known moment. Points: launch (backend up, browser not yet), report (all runs
 * done, reports not yet written). Does nothing when the variable is unset.
 */
export async function holdAt(point: 'launch' | 'report'): Promise<void> {
  if (process.env.SSE_HARNESS_HOLD_AT !== point) return;
  process.stderr.write(`sse-harness: holding at ${point} (SSE_HARNESS_HOLD_AT)\n`);
  await new Promise((r) => setTimeout(r, 30_000));
}
