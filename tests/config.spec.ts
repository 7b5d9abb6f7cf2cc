// sse-harness.config.ts: found in the working folder or named with --config, validated as untrusted input, and
// overridden by any flag given.
import { test, expect } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './support/cli.ts';
import { UiRepo } from './support/ui-repo.ts';
import { launcherFor } from '../harness/driver/index.ts';
import { runProjects, type ProjectSettings } from '../harness/projects.ts';

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
      'transport.mjs',
      "export default { transport: 'sse' };\n",
      /^sse-harness: config transport\.mjs: transport: .*"eventsource".*"fetch-stream".*\. Fix that entry\.$/,
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

test('bad project entries are one line naming the config file, the entry and the fix; exit 2', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'key.mjs',
      "export default { projects: [{ name: 'desktop', browser: 'chromium', brwser: 'webkit' }] };\n",
      /^sse-harness: config key\.mjs: projects\[0\] "desktop": Unrecognized key: "brwser" \(known keys: name, browser, device, target, appDir, scenarios, timeScale, transport, sdkVersion\)\. Fix that entry\.$/,
    ],
    [
      'twice.mjs',
      "export default { projects: [{ name: 'a', browser: 'chromium' }, { name: 'b', browser: 'webkit' }, { name: 'a', browser: 'webkit' }] };\n",
      /^sse-harness: config twice\.mjs: projects\[2\] "a": name: projects\[0\] is called that too\. Give each project its own name\.$/,
    ],
    [
      'firefox.mjs',
      "export default { projects: [{ name: 'fx', browser: 'firefox' }] };\n",
      /^sse-harness: config firefox\.mjs: projects\[0\] "fx": browser: .*"chromium".*"webkit".*\. Fix that entry\.$/,
    ],
    [
      'both.mjs',
      "export default { browsers: ['webkit'], projects: [{ name: 'a', browser: 'chromium' }] };\n",
      /^sse-harness: config both\.mjs: projects and browsers both given: each project names its browser\. Move each browser into a project \(\{ name, browser \}\), or leave projects out\.$/,
    ],
    [
      'device.mjs',
      "export default { device: 'iphone', projects: [{ name: 'a', browser: 'chromium' }] };\n",
      /^sse-harness: config device\.mjs: projects and device both given: .*Set device in the projects that need it/,
    ],
    [
      'name.mjs',
      "export default { projects: [{ name: 'a,b', browser: 'chromium' }] };\n",
      /^sse-harness: config name\.mjs: projects\[0\] "a,b": name: a project name is 1 to 60 letters, digits, .*\. Fix that entry\.$/,
    ],
    [
      'markup.mjs',
      "export default { projects: [{ name: '\\u001b[31m<b>', browser: 5 }] };\n",
      /^sse-harness: config markup\.mjs: projects\[0\] "/,
    ],
  ];
  for (const [file, text, want] of cases) {
    const r = await runCli(['validate', '--config', file], {}, project(text, file));
    expect(r.code, `${file}\n${r.explain()}`).toBe(2);
    expect(r.stderr.trim(), file).toMatch(want);
    expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
    expect(r.stderr).not.toContain('\u001b');
  }
});

test('--project names projects of the config; an unknown name lists the known ones; exit 2', async () => {
  const dir = project(
    "export default { projects: [{ name: 'desktop', browser: 'chromium' }, { name: 'phone', browser: 'webkit', device: 'iphone' }] };\n",
    'sse-harness.config.mjs',
  );
  for (const args of [
    ['run', 'other.yaml', '--project', 'tablet'],
    ['run', 'other.yaml', '--project', 'desktop', '--project', 'phone,tablet'],
  ]) {
    const r = await runCli(args, {}, dir);
    expect(r.code, r.explain()).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'sse-harness: --project tablet: no such project. Known: desktop, phone.',
    );
  }
  writeFileSync(join(dir, 'flat.mjs'), "export default { browsers: ['chromium'] };\n");
  const flat = await runCli(['run', 'other.yaml', '--project', 'desktop', '--config', 'flat.mjs'], {}, dir);
  expect(flat.code, flat.explain()).toBe(2);
  expect(flat.stderr.trim().split('\n').at(-1)).toBe(
    'sse-harness: --project desktop: the config has no projects. Define projects in sse-harness.config.ts, or leave --project out.',
  );
});

test("a project's settings over the config's, a flag over both; -b runs each project in each browser", () => {
  const config = [
    { name: 'desktop', browser: 'chromium' as const },
    { name: 'phone', browser: 'webkit' as const, device: 'iphone' as const, scenarios: ['long'], timeScale: 0.5 },
    { name: 'mine', browser: 'chromium' as const, target: '/t/mine.ts', appDir: '/ui' },
  ];
  const run: ProjectSettings = { browsers: ['chromium'], target: 'reference', scenarios: ['sc'], timeScale: 2 };
  const brief = (given: (keyof ProjectSettings)[], only?: string[], settings = run) =>
    runProjects(config, settings, new Set(given), only).map((p) =>
      [p.name, p.browser, p.device, p.target, p.appDir, p.scenarios.join(','), p.timeScale].join(' '),
    );
  expect(brief([])).toEqual([
    'desktop chromium  reference  sc 2',
    'phone webkit iphone reference  long 0.5',
    'mine chromium  /t/mine.ts /ui sc 2',
  ]);
  expect(brief([], ['mine', 'desktop'])).toEqual([
    'desktop chromium  reference  sc 2',
    'mine chromium  /t/mine.ts /ui sc 2',
  ]);
  const flags: ProjectSettings = {
    browsers: ['webkit', 'chromium'],
    device: 'iphone',
    target: 'x',
    scenarios: ['f'],
    timeScale: 1,
  };
  expect(brief(['browsers', 'device', 'target', 'scenarios', 'timeScale'], ['phone'], flags)).toEqual([
    'phone webkit iphone x  f 1',
    'phone chromium iphone x  f 1',
  ]);
  // Without projects: one per browser, with the run's settings.
  expect(runProjects(undefined, run, new Set()).map((p) => [p.name, p.browser, p.target])).toEqual([
    [undefined, 'chromium', 'reference'],
  ]);
});

test("transports: each browser of each project once per transport; a project's own over the config's, a flag over both", () => {
  const config = [
    { name: 'desktop', browser: 'chromium' as const },
    { name: 'fetch', browser: 'webkit' as const, transport: 'fetch-stream' as const },
  ];
  const run: ProjectSettings = {
    browsers: ['chromium', 'webkit'],
    target: 'reference',
    scenarios: [],
    transports: ['eventsource', 'fetch-stream', 'eventsource'],
  };
  const brief = (given: (keyof ProjectSettings)[], projects = config) =>
    runProjects(projects, run, new Set(given)).map((p) => `${p.name ?? '-'} ${p.browser} ${p.transport ?? 'default'}`);
  expect(brief([])).toEqual([
    'desktop chromium eventsource',
    'desktop chromium fetch-stream',
    'fetch webkit fetch-stream',
  ]);
  expect(brief(['transports'])).toEqual([
    'desktop chromium eventsource',
    'desktop chromium fetch-stream',
    'fetch webkit eventsource',
    'fetch webkit fetch-stream',
  ]);
  // Without projects: browser by browser, each transport once.
  expect(runProjects(undefined, run, new Set()).map((p) => `${p.browser} ${p.transport}`)).toEqual([
    'chromium eventsource',
    'chromium fetch-stream',
    'webkit eventsource',
    'webkit fetch-stream',
  ]);
  // None asked for: no transport named, the target's default.
  expect(runProjects(undefined, { ...run, transports: undefined }, new Set()).map((p) => p.transport)).toEqual([
    undefined,
    undefined,
  ]);
});

test("validate checks the projects' scenarios too; sweep runs in the projects' browsers", async () => {
  const dir = project(
    "export default { scenarios: ['sc'], projects: [{ name: 'a', browser: 'chromium' }, { name: 'b', browser: 'webkit', scenarios: ['other.yaml'] }] };\n",
    'sse-harness.config.mjs',
  );
  const v = await runCli(['validate'], {}, dir);
  expect(v.code, v.explain()).toBe(0);
  expect(v.stdout).toBe('2 of 2 scenario files valid\n');
  const s = await runCli(['sweep', 'other.yaml', '--repo', ROOT, '--refs', 'HEAD', '--dry-run'], {}, dir);
  expect(s.code, s.explain()).toBe(0);
  expect(s.stdout).toContain('1 ref × 2 runs each');
});

test('run runs the projects named, each in its browser and device, their names in the reports', async () => {
  const missing = launcherFor('webkit').missing();
  test.skip(missing !== null, `webkit is not installed: ${missing}`);
  // "skipped" names a scenario file that does not exist: loading it would stop the run, so it must not be loaded.
  const dir = project(
    `export default { scenarios: ['other.yaml'], workers: 1, reportDir: 'out', projects: [
      { name: 'desktop', browser: 'chromium' },
      { name: 'phone', browser: 'webkit', device: 'iphone', timeScale: 0.5 },
      { name: 'skipped', browser: 'chromium', scenarios: ['missing.yaml'] },
    ] };\n`,
    'sse-harness.config.mjs',
  );
  const r = await runCli(['run', '--project', 'desktop', '--project', 'phone', '--workers', '1'], {}, dir);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stdout).toMatch(/^scenario +project +browser +verdict +detail$/m);
  expect(r.stdout).toMatch(/^other +desktop +chromium +PASS /m);
  expect(r.stdout).toMatch(/^other +phone +webkit +PASS /m);
  const report = JSON.parse(readFileSync(join(dir, 'out', 'latest.json'), 'utf8')) as {
    browsers: string[];
    results: { project?: string; browser: string; timeScale?: number; emulation?: string[] }[];
  };
  expect(report.browsers).toEqual(['chromium', 'webkit']);
  expect(report.results.map((x) => [x.project, x.browser, x.timeScale])).toEqual([
    ['desktop', 'chromium', undefined],
    ['phone', 'webkit', 0.5],
  ]);
  expect(report.results[1]!.emulation?.join(' ')).toMatch(/390×844/);
  expect(readFileSync(join(dir, 'out', 'latest.junit.xml'), 'utf8')).toContain('name="other [project phone]"');
});

test("a project's own target module is read relative to the config; --matrix needs one target", async () => {
  const dir = project(
    "export default { projects: [{ name: 'ref', browser: 'chromium' }, { name: 'mine', browser: 'chromium', target: './mine.mjs' }] };\n",
    'sse-harness.config.mjs',
  );
  writeFileSync(join(dir, 'mine.mjs'), 'export default 42;\n');
  const bad = await runCli(['run', 'other.yaml'], {}, dir);
  expect(bad.code, bad.explain()).toBe(2);
  expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
    /^sse-harness: config project mine target \S+mine\.mjs: its default export is number, not a target\. /,
  );
  writeFileSync(
    join(dir, 'mine.mjs'),
    `export default { name: 'mine', version: '1', regressions: [], backend: () => ({ root: '/nowhere/' }),
      entry: () => '/', readyExpression: 'true', viewedSessionExpression: 'null', answerTextExpression: 'null',
      async newChat() {}, async send() {}, async switchTo() {} };\n`,
  );
  const matrix = await runCli(['run', 'other.yaml', '--matrix'], {}, dir);
  expect(matrix.code, matrix.explain()).toBe(2);
  expect(matrix.stderr.trim().split('\n').at(-1)).toBe(
    'sse-harness: --matrix needs one target for the whole run, and the projects have several (reference, mine). Pick projects of one target with --project.',
  );
});

test("sdkVersion: a config's and a project's reach the ai-sdk target; other targets' projects ignore it", async () => {
  const cfg = (body: string) =>
    project(
      `import { defineConfig } from '${join(ROOT, 'harness', 'config.ts')}';\nexport default defineConfig(${body});\n`,
    );
  // A version the target refuses before any browser starts shows the value got there.
  const top = await runCli(
    ['run', 'sc'],
    {},
    cfg(`{ target: 'ai-sdk', sdkVersion: '1.2.12', browsers: ['chromium'] }`),
  );
  expect(top.code, top.explain()).toBe(2);
  expect(top.stderr).toMatch(/--sdk-version 1\.2\.12: @ai-sdk\/react before 2\.0\.0 speaks/);
  const perProject = await runCli(
    ['run', 'sc', '--project', 'sdk'],
    {},
    cfg(
      `{ projects: [{ name: 'sdk', browser: 'chromium', target: 'ai-sdk', sdkVersion: 'latest' }, { name: 'ref', browser: 'chromium', sdkVersion: 'latest' }] }`,
    ),
  );
  expect(perProject.code, perProject.explain()).toBe(2);
  expect(perProject.stderr).toMatch(/--sdk-version "latest" is not a version/);
});

test("sweep takes the config's one transport; a list of them is refused naming the fix, exit 2", async () => {
  const one = project(`export default { transport: 'fetch-stream' };\n`, 'sse-harness.config.mjs');
  const repo = new UiRepo(join(one, 'ui'));
  repo.addReferenceUi();
  repo.commit('healthy chat UI');
  const args = ['sweep', 'other.yaml', '--repo', 'ui', '--refs', 'main', '-o', 'sw'];
  const r = await runCli(args, {}, one);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stderr).toContain('against target "reference" over fetch-stream');
  expect(JSON.parse(readFileSync(join(one, 'sw', 'sweep.json'), 'utf8'))).toMatchObject({
    transport: 'fetch-stream',
    totals: { passed: 1, errors: 0 },
  });
  const many = project(`export default { transport: ['fetch-stream', 'eventsource'] };\n`, 'sse-harness.config.mjs');
  const refused = await runCli(args, {}, many);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(
    "sse-harness sweep: the config's transport lists fetch-stream, eventsource, and sweep runs over one transport. Give --transport <kind>.",
  );
});
