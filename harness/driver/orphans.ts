// What a run that died without cleaning up (kill -9, out of memory, a power cut of its container) left behind:
// browsers, drivers and Xvfb still running, and their temp folders. The next run finds them by their marker
// (owner.ts) and ends them, but only those whose owner is gone: a run still going in another terminal keeps its own.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNER_VAR, ownerAlive, ownerToken, RUN_FOLDER_PREFIX, SHORT_FOLDER_PREFIX } from './owner.ts';

export interface Reaped {
  /** Pids of the dead runs whose leftovers were found. */
  owners: number[];
  processes: number;
  folders: number;
  /** Folders that could not be removed, with why. */
  stuck: string[];
}

const TOKEN = /^(\d+-t?\d+)-/;

function tokenOf(env: string): string | null {
  for (const kv of env.split('\0')) if (kv.startsWith(`${OWNER_VAR}=`)) return kv.slice(OWNER_VAR.length + 1);
  return null;
}

/** Marked processes of dead owners, from /proc (Linux). Elsewhere the run folder's list of process groups serves. */
function markedProcesses(): { pid: number; token: string }[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const out: { pid: number; token: string }[] = [];
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${p}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's
    }
    const token = tokenOf(env);
    if (token) out.push({ pid, token });
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
function awaitGone(pids: number[], deadlineMs = 3000): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + deadlineMs;
  while (pids.some(alive) && Date.now() < until) Atomics.wait(tick, 0, 0, 20);
}

/** Ends every leftover of a dead run (processes first, then folders); null when there was nothing. */
export function reapOrphans(dirs: string[] = [tmpdir(), '/tmp']): Reaped | null {
  const mine = ownerToken();
  const alive = new Map<string, boolean>();
  const dead = (tok: string) => {
    if (tok === mine) return false;
    if (!alive.has(tok)) alive.set(tok, ownerAlive(tok));
    return !alive.get(tok);
  };
  const owners = new Set<number>();
  const ownerOf = (tok: string) => owners.add(Number(tok.split('-')[0]));
  const killed: number[] = [];
  for (const { pid, token } of markedProcesses()) {
    if (dead(token) && kill(pid)) {
      killed.push(pid);
      ownerOf(token);
    }
  }
  let processes = killed.length;
  awaitGone(killed);
  let folders = 0;
  const stuck: string[] = [];
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const prefix = name.startsWith(RUN_FOLDER_PREFIX) ? RUN_FOLDER_PREFIX : name.startsWith(SHORT_FOLDER_PREFIX) ? SHORT_FOLDER_PREFIX : null;
      const tok = prefix && TOKEN.exec(name.slice(prefix.length))?.[1];
      if (!tok || !dead(tok)) continue;
      // Without /proc, the process groups the run recorded are all there is to go by.
      if (prefix === RUN_FOLDER_PREFIX) {
        try {
          for (const g of readFileSync(join(dir, name, 'groups'), 'utf8').split('\n').filter(Boolean)) {
            if (kill(-Number(g))) processes++;
          }
        } catch {
          /* no list: nothing more to end */
        }
      }
      try {
        rmSync(join(dir, name), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        folders++;
      } catch (e) {
        stuck.push(`${join(dir, name)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      ownerOf(tok);
    }
  }
  return processes || folders || stuck.length ? { owners: [...owners], processes, folders, stuck } : null;
}

export function reapedLine(r: Reaped): string {
  const who = r.owners.length === 1 ? `an earlier run (pid ${r.owners[0]}) that died` : `${r.owners.length} earlier runs that died`;
  const stuck = r.stuck.length ? `; could not remove ${r.stuck.join(', ')}` : '';
  return `sse-harness: ended what ${who} left behind: ${r.processes} process${r.processes === 1 ? '' : 'es'}, ${r.folders} temp folder${r.folders === 1 ? '' : 's'}${stuck}`;
}
