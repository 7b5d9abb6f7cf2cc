// sse-harness.config.ts: found in the working folder or named with --config, validated as untrusted input, and
// overridden by any flag given.
import { test, expect } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './support/cli.ts';

const made: string[] = [];
test.afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(config: string, file = 'sse-harness.config.ts'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-config-'));
  made.push(dir);
  mkdirSync(join(dir, 'sc'));
  copyFileSync(join(ROOT, 'scenarios', 'switch-return.yaml'), join(dir, 'sc', 'switch-return.yaml'));
  writeFileSync(join(dir, 'other.yaml'), 'name: other\nstreams: { s: [{ tokens: { count: 3 } }] }\nsteps: [open]\n');
  writeFileSync(join(dir, file), config);
  return dir;
}

test('the config in the working folder names the scenarios, relative to itself; a path given wins', async () => {
  const dir = project(
    `import { defineConfig } from '${join(ROOT, 'harness', 'config.ts')}';\nexport default defineConfig({ scenarios: ['sc'] });\n`,
  );
  const r = await runCli(['validate'], {}, dir);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stdout).toBe('1 of 1 scenario files valid\n');
  expect(r.stderr).toContain(`config ${join(dir, 'sse-harness.config.ts')}`);
  const given = await runCli(['validate', 'other.yaml', 'sc'], {}, dir);
  expect(given.stdout).toBe('2 of 2 scenario files valid\n');
});

test('a bad config is one line naming the file, the entry and the fix; exit 2', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'unknown.mjs',
      'export default { workerz: 2 };\n',
      /^sse-harness: config unknown\.mjs: the default export: Unrecognized key: "workerz" \(known keys: scenarios, .*\)\. Fix that entry\.$/,
    ],
    [
      'range.mjs',
      'export default { workers: 99 };\n',
      /^sse-harness: config range\.mjs: workers: Too big: .*32\. Fix that entry\.$/,
    ],
    [
      'browser.mjs',
      "export default { browsers: ['firefox'] };\n",
      /^sse-harness: config browser\.mjs: browsers\.0: .*"chromium".*\. Fix that entry\.$/,
    ],
    [
      'throws.mjs',
      'throw new Error("boom\\n  at somewhere");\n',
      /^sse-harness: config throws\.mjs: it threw while loading: boom\. Fix the file so that it loads\.$/,
    ],
    [
      'nodefault.mjs',
      'export const workers = 1;\n',
      /^sse-harness: config nodefault\.mjs: no default export\. Write `export default defineConfig\(\{ … \}\)`\.$/,
    ],
    ['markup.mjs', "export default { reportDir: 5, '\\u001b[31m<b>': 1 };\n", /^sse-harness: config markup\.mjs: /],
  ];
  for (const [file, text, want] of cases) {
    const dir = project(text, file);
    const r = await runCli(['validate', '--config', file], {}, dir);
    expect(r.code, `${file}\n${r.explain()}`).toBe(2);
    expect(r.stderr.trim(), file).toMatch(want);
    expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
    expect(r.stderr).not.toContain('\u001b');
  }
  const none = await runCli(['validate', '--config', 'nope.ts'], {}, project('export default {};\n'));
  expect(none.code).toBe(2);
  expect(none.stderr.trim()).toBe(
    'sse-harness: --config nope.ts: no such file. Give the path of an sse-harness.config.ts, or leave --config out.',
  );
});

test('run takes browsers, workers and the report folder from the config; a flag wins over it', async () => {
  const dir = project(
    `export default { scenarios: ['other.yaml'], browsers: ['chromium'], workers: 1, reportDir: 'out' };\n`,
    'sse-harness.config.mjs',
  );
  const r = await runCli(['run'], {}, dir);
  expect(r.code, r.explain()).toBe(0);
  const report = JSON.parse(readFileSync(join(dir, 'out', 'latest.json'), 'utf8')) as {
    results: { scenario: string; browser: string }[];
  };
  expect(report.results.map((x) => [x.scenario, x.browser])).toEqual([['other', 'chromium']]);
  const flagged = await runCli(['run', '-o', 'flagged'], {}, dir);
  expect(flagged.code, flagged.explain()).toBe(0);
  expect(existsSync(join(dir, 'flagged', 'latest.json'))).toBe(true);
});
