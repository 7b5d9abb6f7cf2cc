// The git side of running a UI's history: the repository a user points at, its commits, and temporary worktrees
// (the user's working tree is never touched; every worktree goes at the end and on Ctrl-C).
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { onCleanup, removeTempDir, tempDir } from '../driver/reaper.ts';

export const git = (repo: string, ...args: string[]): string =>
  execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();

/** git with its input on stdin (long argument lists). */
export const gitIn = (repo: string, input: string, ...args: string[]): string =>
  execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();

/** Checks that path is a git repository (a work tree or a bare one); returns its absolute path. */
export function openRepo(path: string, flag: string, why: string): string {
  const repo = resolve(path);
  if (!existsSync(repo))
    throw new Error(`sse-harness: ${flag} ${path}: no such folder. Give the git checkout of the chat UI.`);
  try {
    git(repo, 'rev-parse', '--git-dir');
  } catch {
    throw new Error(`sse-harness: ${flag} ${path}: not a git repository. ${why}`);
  }
  return repo;
}

/** The repository holding dir, and dir's place inside it (for a UI kept in a sub-folder of its repository). */
export function repoOf(dir: string, flag: string, why: string): { repo: string; subdir: string } {
  openRepo(dir, flag, why);
  let top: string;
  try {
    top = git(dir, 'rev-parse', '--show-toplevel');
  } catch {
    throw new Error(`sse-harness: ${flag} ${dir}: not inside a git work tree. ${why}`);
  }
  return { repo: top, subdir: relative(realpathSync(top), realpathSync(dir)) || '.' };
}

/** The full commit id a ref names, or one sentence naming the ref and where it was looked for. */
export function commitOf(repo: string, ref: string, what: string): string {
  try {
    return git(repo, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`);
  } catch {
    throw new Error(`sse-harness: ${what}: no such commit, tag or branch in ${repo}.`);
  }
}

export const subjectOf = (repo: string, commit: string) => git(repo, 'log', '-1', '--format=%s', commit);
export const isAncestor = (repo: string, a: string, b: string) => {
  try {
    git(repo, 'merge-base', '--is-ancestor', a, b);
    return true;
  } catch {
    return false;
  }
};

/**
 * Temporary detached worktrees of one repository, under one temp folder. Each is removed when done with, and all of
 * them (with the folder, and git's record of them) when the process ends or is interrupted.
 */
export class Worktrees {
  private readonly root: string;
  private readonly live = new Set<string>();
  private readonly stopCleanup: () => void;
  private made = 0;

  constructor(
    readonly repo: string,
    prefix: string,
  ) {
    this.root = tempDir(prefix);
    this.stopCleanup = onCleanup(() => this.dispose());
  }

  /** Checks out commit in a new worktree; returns its folder. */
  add(commit: string): string {
    const wt = join(this.root, `${++this.made}-${commit.slice(0, 10)}`);
    git(this.repo, 'worktree', 'add', '--detach', '--force', wt, commit);
    this.live.add(wt);
    return wt;
  }

  private readonly adding = new Set<ChildProcess>();
  /**
   * The checkouts under way or waiting, one at a time: git's worktree commands are not safe side by side (an add
   * reads every entry of .git/worktrees/ and fails on one another add or a removal has half written or removed).
   */
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private disposed = false;

  /**
   * Checks out commit in a new worktree without blocking the event loop (a checkout of a large UI takes a second
   * or more): a sweep prepares the next ref's while the current one's runs go on. Rejects with git's message.
   */
  addLater(commit: string): Promise<string> {
    const wt = join(this.root, `${++this.made}-${commit.slice(0, 10)}`);
    this.live.add(wt);
    this.queued++;
    const checkout = () =>
      new Promise<string>((done, fail) => {
        if (this.disposed) return fail(new Error(`git worktree add ${commit.slice(0, 10)}: stopped`));
        const child = execFile(
          'git',
          ['-C', this.repo, 'worktree', 'add', '--detach', '--force', wt, commit],
          { encoding: 'utf8' },
          (err, _out, stderr) => {
            this.adding.delete(child);
            if (err)
              fail(
                new Error(
                  `git worktree add ${commit.slice(0, 10)}: ${(stderr || err.message).trim().split('\n').pop()}`,
                ),
              );
            else done(wt);
          },
        );
        this.adding.add(child);
      }).finally(() => this.queued--);
    const added = this.queue.then(checkout, checkout);
    this.queue = added.catch(() => {});
    return added;
  }

  /** Removes a worktree now, or, while a checkout is under way or waiting, once the checkouts before it are done. */
  remove(wt: string): void {
    if (this.queued) {
      this.queue = this.queue.then(() => this.removeNow(wt));
      return;
    }
    this.removeNow(wt);
  }

  private removeNow(wt: string): void {
    try {
      git(this.repo, 'worktree', 'remove', '--force', wt);
    } catch {
      /* gone already, or removed with the temp folder below */
    }
    this.live.delete(wt);
  }

  /** Removes every worktree still there and the temp folder; safe to call twice. */
  dispose(): void {
    this.disposed = true;
    for (const child of this.adding) child.kill();
    for (const wt of [...this.live]) this.removeNow(wt);
    removeTempDir(this.root);
    // A worktree whose removal failed is gone with the folder; git forgets it here.
    try {
      git(this.repo, 'worktree', 'prune');
    } catch {
      /* nothing to prune */
    }
    this.stopCleanup();
  }
}
