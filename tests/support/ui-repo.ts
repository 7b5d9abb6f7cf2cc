// A small git history for the history tests (sweep, compare, refs), made in a temp folder: commits of the reference
// UI (or of anything), tags, a regression switched on in one commit.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@x',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@x',
};

export class UiRepo {
  readonly commits: string[] = [];
  /** Commit dates one minute apart, so history order never rests on a tie. */
  private clock = Date.UTC(2026, 0, 1) / 1000;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  }

  git(...args: string[]): string {
    const date = `@${this.clock} +0000`;
    return execFileSync('git', ['-C', this.dir, ...args], {
      encoding: 'utf8',
      env: { ...ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    }).trim();
  }

  /** Commits every change in the folder; returns the commit. */
  commit(message: string): string {
    this.clock += 60;
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    const c = this.git('rev-parse', 'HEAD');
    this.commits.push(c);
    return c;
  }

  tag(name: string, opts: { annotated?: boolean; at?: string } = {}): void {
    this.clock += 1;
    this.git('tag', ...(opts.annotated ? ['-a', '-m', name] : []), name, ...(opts.at ? [opts.at] : []));
  }

  write(file: string, text: string): void {
    writeFileSync(join(this.dir, file), text);
  }

  /** Edits a file; the edit must change it (a test whose regression commit changes nothing proves nothing). */
  edit(file: string, change: (s: string) => string): void {
    const path = join(this.dir, file);
    const before = readFileSync(path, 'utf8');
    const after = change(before);
    if (after === before) throw new Error(`the edit did not change ${file}`);
    writeFileSync(path, after);
  }

  /** Copies the reference UI in (at the repository's top). */
  addReferenceUi(): void {
    cpSync(join(ROOT, 'fixtures', 'chat-ui'), this.dir, { recursive: true });
  }

  /** Switches a regression class on in the reference UI's copy, as a code change would. */
  switchOn(klass: string): void {
    this.edit('app.js', (s) =>
      s
        .replace('const REGRESS = new Set(', `const REGRESS = new Set(['${klass}', ...`)
        .replace('.filter(Boolean));', '.filter(Boolean)]);'),
    );
  }

  /** The state a test checks the user's checkout is left in. */
  state(): { head: string; status: string; worktrees: number } {
    return {
      head: this.git('rev-parse', 'HEAD'),
      status: this.git('status', '--porcelain'),
      worktrees: this.git('worktree', 'list').split('\n').length,
    };
  }
}
