// What marks a run's processes and folders as its own, so that a later run can tell what a run that died
// (kill -9, out of memory) left behind. Every process the harness starts carries SSE_HARNESS_OWNER=<token> in its
// environment (inherited by everything it forks); every temp folder lives in the run folder, whose name holds the
// token. The token is the owner's pid and its start time, so a reused pid is not mistaken for the owner.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OWNER_VAR = 'SSE_HARNESS_OWNER';
export const RUN_FOLDER_PREFIX = 'sse-harness-run-';
/** Short Chromium folders made in /tmp when the temp path is too deep for a Unix socket; named with the token too. */
export const SHORT_FOLDER_PREFIX = 'sse-c-';

/** A process's start time in clock ticks since boot (Linux), or null where /proc does not say. */
export function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

let token: string | undefined;
/** This process's token: "<pid>-<start>", the start being boot ticks on Linux, else the time of the first call. */
export function ownerToken(): string {
  token ??= `${process.pid}-${startTicks(process.pid) ?? `t${Date.now()}`}`;
  return token;
}

/** Whether the owner named by a token is still running (the same process, not a later one with its pid). */
export function ownerAlive(tok: string): boolean {
  const m = /^(\d+)-(t?)(\d+)$/.exec(tok);
  if (!m) return true; // not ours to judge
  const pid = Number(m[1]);
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (m[2] === 't') return true; // no start time to compare where /proc is missing
  return startTicks(pid) === m[3];
}

let root: string | undefined;
/**
 * The temp folder runs share (TMPDIR as this process found it). A run reaps only what dead runs under the same root
 * left: separate TMPDIRs (parallel CI jobs, the test suite's runs) are separate sandboxes.
 */
export function tempRoot(): string {
  root ??= tmpdir();
  return root;
}

let folder: string | undefined;
/**
 * The run folder, made on first use in the temp root: <root>/sse-harness-run-<token>-XXXXXX. Made anew once removed:
 * a process that goes on after reaping (a test worker, a library user's fixture) still gets temp folders.
 */
export function runFolder(): string {
  if (folder === undefined || !existsSync(folder))
    folder = mkdtempSync(join(tempRoot(), `${RUN_FOLDER_PREFIX}${ownerToken()}-`));
  return folder;
}

/** The marker's value: "<token>@<root>". */
export const markerValue = () => `${ownerToken()}@${tempRoot()}`;

/** A marker's token and root, or null when it is not one. */
export function parseMarker(value: string): { token: string; root: string } | null {
  const m = /^(\d+-t?\d+)@(.+)$/.exec(value);
  return m ? { token: m[1]!, root: m[2]! } : null;
}

/** The file in a run folder listing the folders it made outside itself (short Chromium folders in /tmp). */
export const OUTSIDE_LIST = 'outside-folders';

/** The environment a started process gets: its marker, and browser profile, cache and crash folders kept in the run folder, never the user's home. */
export function markedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const xdg = (name: string) => {
    const d = join(runFolder(), 'xdg', name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  return {
    ...env,
    [OWNER_VAR]: markerValue(),
    XDG_CONFIG_HOME: xdg('config'),
    XDG_CACHE_HOME: xdg('cache'),
    XDG_DATA_HOME: xdg('data'),
  };
}
