// `conformance` and `--backend real`: bad arguments are one clear line; with a hermes-webui checkout (HERMES_WEBUI_DIR)
// the real server and the mock answer the wire cases alike, a mock made to replay from seq 0 is caught, and a scenario
// runs in a browser against the real server behind the harness's front.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES, ranges } from '../harness/conformance/cases.ts';
import { renderHtml } from '../harness/report/html.ts';
import { buildReport } from '../harness/report/model.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { runCli } from './support/cli.ts';
import { scenarioResult } from './support/results.ts';

test('conformance and --backend real refuse what they cannot do, in one line each', async () => {
  const noDir = await runCli(['conformance']);
  expect(noDir.code).toBe(2);
  expect(noDir.stderr).toMatch(/required option '--app-dir <path>' not specified/);
  const ref = await runCli(['conformance', '-t', 'reference', '--app-dir', '.']);
  expect(ref.code, ref.explain()).toBe(2);
  expect(ref.stderr.trim()).toBe(
    'sse-harness conformance: the reference target has no server of its own to start. Use -t hermes-webui.',
  );
  const run = await runCli(['run', 'scenarios/switch-return.yaml', '--backend', 'real', '-o', 'TMP/r']);
  expect(run.code, run.explain()).toBe(2);
  expect(run.stderr.trim()).toBe(
    'sse-harness: --backend real: the reference target has no server of its own to start. Use -t hermes-webui --app-dir <checkout>, or leave out --backend.',
  );
  const sweep = await runCli([
    'sweep',
    'scenarios/switch-return.yaml',
    '--repo',
    '.',
    '--refs',
    'HEAD',
    '--backend',
    'real,real',
    '-o',
    'TMP/s',
  ]);
  expect(sweep.code, sweep.explain()).toBe(2);
  expect(sweep.stderr).toMatch(/--backend.*give mock, real, or mock,real/);
  for (const r of [noDir, ref, run, sweep]) expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('the cases are named for --case, and a reply reduces to token ranges that show loss and doubling', () => {
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  for (const c of CASES) expect(c.name).toMatch(/^[a-z-]+$/);
  expect(ranges([])).toBe('none');
  expect(ranges([0, 1, 2, 3, 4])).toBe('0-4');
  expect(ranges([0, 1, 3, 4])).toBe('0-1,3-4');
  expect(ranges([0, 1, 2, 1, 2])).toBe('0-2,1-2');
});

test("a real-backend run's reports name the server it ran against, as text", () => {
  const r = scenarioResult({
    scenario: 'lock-unlock',
    target: 'hermes-webui',
    backend: "its own server (server.py at <img src=x onerror=alert(1)>) with the harness's stub agent",
  });
  const report = buildReport({
    startedAt: 'now',
    finishedAt: 'now',
    complete: true,
    command: [],
    target: 'hermes-webui',
    browsers: ['chromium'],
    regress: [],
    results: [r],
  });
  const html = renderHtml(report);
  expect(html).toContain(
    '<br>real server: its own server (server.py at &#60;img src=x onerror=alert(1)&#62;) with the harness&#39;s stub agent',
  );
  expect(html).not.toContain('<img src=x');
  expect(html).not.toContain('mock server:');
  // In Markdown the server's words are a code span: shown as written, never markup.
  expect(renderMarkdown(report)).toContain(
    "\nReal server: `its own server (server.py at <img src=x onerror=alert(1)>) with the harness's stub agent`\n",
  );
});

test.describe('against a hermes-webui checkout', () => {
  const dir = process.env.HERMES_WEBUI_DIR;
  test.skip(!dir, 'HERMES_WEBUI_DIR is not set: point it at a hermes-webui checkout to run these');
  test.setTimeout(300_000);

  test('the real server and the mock it picks answer every case alike', async () => {
    const r = await runCli(['conformance', '--app-dir', dir!, '--json']);
    const out = JSON.parse(r.stdout) as { rows: { case: string; mock: string; real: string; agree: boolean }[] };
    expect(out.rows.map((x) => x.case)).toEqual(CASES.map((c) => c.name));
    for (const row of out.rows)
      expect(row, `${row.case}: mock ${row.mock} / real ${row.real}`).toMatchObject({ agree: true });
    expect(r.code, r.explain()).toBe(0);
  });

  test('a mock that replays the journal from seq 0 to a reconnect without a cursor is caught', async () => {
    const r = await runCli(['conformance', '--app-dir', dir!, '--case', 'reconnect', '--mock-resume', 'replay']);
    expect(r.code, r.explain()).toBe(1);
    expect(r.stdout).toMatch(/DIFFER reconnect/);
    expect(r.stdout).toMatch(/mock: 200 tokens 0-9; still open/);
    expect(r.stdout).toMatch(/real: 200 tokens 5-9; still open/);
  });

  test('--backend real: a scenario runs in a browser against the real server, and the report says so', async () => {
    const r = await runCli([
      'run',
      'scenarios/lock-unlock.yaml',
      '-t',
      'hermes-webui',
      '--app-dir',
      dir!,
      '--backend',
      'real',
      '-b',
      'chromium',
      '-o',
      'TMP/real',
    ]);
    expect(r.code, r.explain()).toBe(0);
    const report = JSON.parse(readFileSync(join(r.tmp, 'real', 'latest.json'), 'utf8')) as {
      results: { verdict: string; backend?: string; mock?: unknown; timeline: { kind: string }[] }[];
    };
    const [res] = report.results;
    expect(res!.verdict).toBe('pass');
    expect(res!.backend).toMatch(/^its own server \(server\.py at .+\) with the harness's stub agent$/);
    expect(res!.mock).toBeUndefined();
    // The ledger saw the chat streams pass the front, and the stub's runs reached the timeline.
    expect(res!.timeline.some((e) => e.kind === 'sse-open')).toBe(true);
    expect(res!.timeline.some((e) => e.kind === 'run-end')).toBe(true);
  });
});
