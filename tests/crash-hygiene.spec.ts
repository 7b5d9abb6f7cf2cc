// After a run dies without cleaning up (kill -9, out of memory), the next run ends what it left: browsers,
// drivers, Xvfb and temp folders, saying so in one line. Runs that are alive are never touched, and no browser
// writes into the user's home.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebKit } from '../harness/driver/webkit.ts';
import { ownerAlive, ownerToken } from '../harness/driver/owner.ts';
import { leftoverTempDirs, processesMentioning, ROOT, runCli, startCli } from './support/cli.ts';

test('an owner is alive only as the same process: a dead pid, or a live pid started at another time, is gone', () => {
  expect(ownerAlive(ownerToken())).toBe(true);
  const [pid, ticks] = ownerToken().split('-');
  expect(ownerAlive(`${pid}-${Number(ticks) + 1}`)).toBe(false);
  expect(ownerAlive('2147483646-1')).toBe(false);
});

const browsers = [
  { name: 'chromium', kinds: ['chrom'] },
  { name: 'webkit', kinds: ['Xvfb', 'WebKitWebDriver', 'MiniBrowser'] },
] as const;

for (const b of browsers) {
  test(`kill -9 mid-run in ${b.name}: the next run ends the orphans and removes their folders, in one line`, async () => {
    test.skip(
      b.name === 'webkit' && findWebKit()?.kind !== 'webkitgtk',
      'WebKitGTK (webkit2gtk-driver, xvfb) is not installed here',
    );
    const home = mkdtempSync(join(tmpdir(), 'sse-harness-home-'));
    try {
      const dead = startCli(['run', 'scenarios/switch-return.yaml', '-b', b.name, '-o', 'TMP/r'], { HOME: home });
      await dead.waitFor(/steps\[3\] waitFor/);
      // Mid-run, each kind of process is there and found, so the check after the next run can fail.
      const running = processesMentioning(dead.tmp);
      for (const k of b.kinds)
        expect(
          running.some((p) => p.toLowerCase().includes(k.toLowerCase())),
          `${k} among ${running.join('\n')}`,
        ).toBe(true);
      dead.child.kill('SIGKILL');
      await dead.exited;
      // A killed run cleans nothing: its folder stays. (Its processes too, unless a run that another test started
      // meanwhile has already ended them: any run reaps every dead run's processes, not only its own TMPDIR's.)
      expect(leftoverTempDirs(dead.tmp).length).toBeGreaterThan(0);

      const next = await runCli(['run', 'scenarios/switch-return.yaml', '-b', b.name, '-o', 'TMP/r'], {
        TMPDIR: dead.tmp,
        HOME: home,
      });
      expect(next.code, next.explain()).toBe(0);
      expect(next.stderr).toMatch(
        new RegExp(
          `^sse-harness: ended what an earlier run \\(pid ${dead.child.pid}\\) that died left behind: \\d+ process(es)?, \\d+ temp folders?$`,
          'm',
        ),
      );
      expect(processesMentioning(dead.tmp)).toEqual([]);
      expect(leftoverTempDirs(dead.tmp), `dead pid ${dead.child.pid}\n${next.stderr}`).toEqual([]);
      // Profiles, caches and crash reports stayed in the run's folder.
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
}

test('a process that goes on after reaping (a test worker, a fixture) still gets temp folders, and leaves none', () => {
  // In a process of its own: reaping here would end this worker's kept browsers.
  const script = `
    import { existsSync } from 'node:fs';
    import { reapAll, tempDir } from './harness/driver/reaper.ts';
    const first = tempDir('first');
    await reapAll();
    const second = tempDir('second');
    process.stdout.write(JSON.stringify({ first: existsSync(first), second: existsSync(second), path: second }));`;
  const tmp = mkdtempSync(join(tmpdir(), 'sse-harness-reap-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { first: boolean; second: boolean; path: string };
    expect(out).toMatchObject({ first: false, second: true });
    // Removed at exit like the first.
    expect(existsSync(out.path)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('sse-harness'))).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
