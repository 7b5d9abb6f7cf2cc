// bisect over a small git history the test builds: copies of the reference UI, one commit switching a regression on.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportSchema } from '../harness/report/schema.ts';
import { ROOT, runCli } from './support/cli.ts';

test('names exactly the commit that switched leak-on-switch on (over --transport), leaving the working tree alone', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = join(made.tmp, 'ui');
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@x',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@x',
      },
    }).trim();
  cpSync(join(ROOT, 'fixtures', 'chat-ui'), repo, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git('add', '-A');
  git('commit', '-qm', 'healthy chat UI');
  const commits = [git('rev-parse', 'HEAD')];
  const change = (file: string, edit: (s: string) => string, message: string) => {
    const path = join(repo, file);
    const before = readFileSync(path, 'utf8');
    const after = edit(before);
    expect(after, `${message}: the edit must change ${file}`).not.toBe(before);
    writeFileSync(path, after);
    git('commit', '-qam', message);
    commits.push(git('rev-parse', 'HEAD'));
  };
  change('style.css', (s) => `${s}\n/* wider sidebar */\n`, 'style: wider sidebar');
  change(
    'app.js',
    (s) =>
      s
        .replace('const REGRESS = new Set(', "const REGRESS = new Set(['leak-on-switch', ...")
        .replace('.filter(Boolean));', '.filter(Boolean)]);'),
    'refactor: session switching',
  );
  change('index.html', (s) => s.replace('</body>', '<!-- footer -->\n</body>'), 'footer comment');
  change('style.css', (s) => `${s}\n/* darker */\n`, 'style: darker');
  const culprit = commits[2]!;
  const status = git('status', '--porcelain');

  const r = await runCli([
    'bisect',
    'scenarios/switch-return.yaml',
    '--repo',
    repo,
    '--good',
    commits[0]!,
    '--bad',
    'main',
    // Over the reference UI's second transport: each candidate is asked for it, as a run would be.
    '--transport',
    'fetch-stream',
    '-o',
    'TMP/r',
  ]);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stdout).toContain(`first bad commit: ${culprit} refactor: session switching`);
  // The user's checkout is as it was: same HEAD, same (clean) status, no worktrees left registered.
  expect(git('rev-parse', 'HEAD')).toBe(commits[commits.length - 1]);
  expect(git('status', '--porcelain')).toBe(status);
  expect(git('worktree', 'list').split('\n')).toHaveLength(1);
  // Every step's run is in the report, good ones passing and bad ones failing on liveStreams.
  const file = /report: (\S+\.json)/.exec(r.stdout)![1]!;
  const report = reportSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  expect(report.results.length).toBeGreaterThanOrEqual(3);
  for (const res of report.results) {
    const sha = /@([0-9a-f]{10})$/.exec(res.scenario)![1]!;
    const index = commits.findIndex((c) => c.startsWith(sha));
    expect(res.verdict, res.scenario).toBe(index >= 2 ? 'fail' : 'pass');
    expect(res.transport).toBe('fetch-stream');
    expect(res.timeline.some((e) => e.kind === 'page-open' && e.transport === 'fetch-stream')).toBe(true);
    if (index >= 2) expect(res.verdicts.find((v) => !v.pass)?.oracle).toBe('liveStreams');
  }
});

test('refs and repositories that make no sense are clear errors', async () => {
  const r = await runCli(['bisect', 'scenarios/switch-return.yaml', '--repo', 'no/such', '--good', 'a', '--bad', 'b']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--repo no/such: no such folder');
  const notGit = await runCli(['bisect', 'scenarios/switch-return.yaml', '--repo', 'TMP', '--good', 'a', '--bad', 'b']);
  expect(notGit.code).toBe(2);
  expect(notGit.stderr).toMatch(/not a git repository/);
});
