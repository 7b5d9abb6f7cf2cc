// Worktrees of a UI's history: checkouts asked for side by side (a sweep prepares the next ref's while the current
// one's runs go on) and removals meanwhile must each succeed; git's worktree commands do not, run at once.
import { expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worktrees } from '../harness/history/git.ts';
import { UiRepo } from './support/ui-repo.ts';

test('many checkouts asked for at once, and removals among them, all succeed', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sse-harness-worktrees-'));
  try {
    const repo = new UiRepo(join(tmp, 'ui'));
    for (let i = 0; i < 4; i++) {
      repo.write('app.js', `// version ${i}\n`);
      repo.commit(`version ${i}`);
    }
    const worktrees = new Worktrees(repo.dir, 'worktrees-test');
    try {
      for (let round = 0; round < 3; round++) {
        const adds = [...repo.commits, ...repo.commits].map((c) => worktrees.addLater(c));
        const made = await Promise.all(adds);
        // Half of them go while the next round's checkouts start.
        for (const wt of made.slice(0, 4)) worktrees.remove(wt);
        const more = await Promise.all(repo.commits.map((c) => worktrees.addLater(c)));
        for (const wt of [...made.slice(4), ...more]) {
          expect(existsSync(join(wt, 'app.js'))).toBe(true);
          worktrees.remove(wt);
        }
      }
    } finally {
      worktrees.dispose();
    }
    expect(repo.git('worktree', 'list').split('\n')).toHaveLength(1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
