// What a run that died without cleaning up (kill -9, out of memory, a power cut of its container) left behind:
// browsers, drivers and Xvfb still running, and their temp folders. The next run finds them by their marker
// (owner.ts) and ends them, but only those whose owner is gone (a run still going in another terminal keeps its own)
// and that ran under the same temp root (another TMPDIR is another sandbox: a parallel CI job, a test's own runs).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  OUTSIDE_LIST,
  OWNER_VAR,
  ownerAlive,
  ownerToken,
  parseMarker,
  RUN_FOLDER_PREFIX,
  SHORT_FOLDER_PREFIX,
  tempRoot,
} from './owner.ts';

export interface Reaped {
  /** Pids of the dead runs whose leftovers were found. */
  owners: number[];
  processes: number;
  folders: number;
  /** Folders that could not be removed, with why. */
  stuck: string[];
}

const TOKEN = /^(\d+-t?\d+)-/;

function markerOf(env: string): string | null {
  for (const kv of env.split('\0')) if (kv.startsWith(`${OWNER_VAR}=`)) return kv.slice(OWNER_VAR.length + 1);
  return null;
}

/** Marked processes of dead owners, from /proc (Linux). Elsewhere the run folder's list of process groups serves. */
export function markedProcesses(): { pid: number; marker: { token: string; root: string } }[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const out: { pid: number; marker: { token: string; root: string } }[] = [];
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${p}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's
    }
    const value = markerOf(env);
    const marker = value ? parseMarker(value) : null;
    if (marker) out.push({ pid, marker });
  }
  return out;
}

function kill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** SIGKILL is delivered, not done: a browser still dying writes into its folder, so folders go once the pids have. */
export function awaitGone(pids: number[], deadlineMs = 3000): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + deadlineMs;
  while (pids.some(alive) && Date.now() < until) Atomics.wait(tick, 0, 0, 20);
}

/** Ends every leftover of a dead run under this temp root (processes first, then folders); null when there was nothing. */
export function reapOrphans(root: string = tempRoot()): Reaped | null {
  const mine = ownerToken();
  const known = new Map<string, boolean>();
  const dead = (tok: string) => {
    if (tok === mine) return false;
    if (!known.has(tok)) known.set(tok, ownerAlive(tok));
    return !known.get(tok);
  };
  const owners = new Set<number>();
  const ownerOf = (tok: string) => owners.add(Number(tok.split('-')[0]));
  const killed: number[] = [];
  for (const { pid, marker } of markedProcesses()) {
    if (marker.root === root && dead(marker.token) && kill(pid)) {
      killed.push(pid);
      ownerOf(marker.token);
    }
  }
  let processes = killed.length;
  awaitGone(killed);
  let folders = 0;
  const stuck: string[] = [];
  const remove = (path: string) => {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      folders++;
    } catch (e) {
      stuck.push(`${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  let names: string[] = [];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(RUN_FOLDER_PREFIX));
  } catch {
    /* no temp root to look in */
  }
  for (const name of names) {
    const tok = TOKEN.exec(name.slice(RUN_FOLDER_PREFIX.length))?.[1];
    if (!tok || !dead(tok)) continue;
    const folder = join(root, name);
    // Without /proc, the process groups the run recorded are all there is to go by.
    for (const g of listIn(folder, 'groups')) if (kill(-Number(g))) processes++;
    // Folders it made outside itself, only ever its own short folders in /tmp.
    for (const d of listIn(folder, OUTSIDE_LIST))
      if (d.startsWith(`/tmp/${SHORT_FOLDER_PREFIX}${tok}-`) && existsSync(d)) remove(d);
    remove(folder);
    ownerOf(tok);
  }
  return processes || folders || stuck.length ? { owners: [...owners], processes, folders, stuck } : null;
}

/** The lines of a list file a run keeps in its folder (none when it has none). */
function listIn(folder: string, file: string): string[] {
  try {
    return readFileSync(join(folder, file), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export function reapedLine(r: Reaped): string {
  const who =
    r.owners.length === 1
      ? `an earlier run (pid ${r.owners[0]}) that died`
      : `${r.owners.length} earlier runs that died`;
  const stuck = r.stuck.length ? `; could not remove ${r.stuck.join(', ')}` : '';
  return `sse-harness: ended what ${who} left behind: ${r.processes} process${r.processes === 1 ? '' : 'es'}, ${r.folders} temp folder${r.folders === 1 ? '' : 's'}${stuck}`;
}
