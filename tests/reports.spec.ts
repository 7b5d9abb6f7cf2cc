// What a reviewer sees when the gate turns red: every report the CLI writes is checked as a reader would check it.
// JSON against its versioned schema, JUnit parsed as XML, the Markdown summary, and the HTML opened in Chromium.
import { test, expect } from '@playwright/test';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { chromium } from 'playwright';
import { reportJsonSchema, reportSchema } from '../harness/report/schema.ts';
import { CHROMIUM_FLAGS, findChromium } from '../harness/driver/chromium.ts';
import { ROOT, runCli } from './support/cli.ts';

// Parsed XML of any shape, read field by field in the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const parseJUnit = (file: string): Json =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file, 'utf8'));
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

test('the checked-in report schema is the one the code generates', () => {
  const onDisk = JSON.parse(readFileSync(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  expect(onDisk, 'run: node bin/sse-harness.js schema --report > schemas/report.schema.json').toEqual(
    reportJsonSchema(),
  );
});

test('a detection-matrix run writes JSON, JUnit, Markdown and HTML that agree, each naming the transport', async () => {
  const r = await runCli([
    'run',
    '--matrix',
    '-g',
    'switch-return',
    '--transport',
    'fetch-stream',
    '-q',
    '-o',
    'TMP/r',
  ]);
  expect(r.code, r.explain()).toBe(0);
  const dir = join(r.tmp, 'r');
  const files = readdirSync(dir);
  for (const ext of ['.json', '.html', '.junit.xml', '.md']) {
    expect(
      files.filter((f) => f.startsWith('run-') && f.endsWith(ext)),
      ext,
    ).toHaveLength(1);
    expect(files).toContain(`latest${ext}`);
  }
  for (const f of files.filter((f) => f.endsWith('.json'))) {
    const parsed = reportSchema.safeParse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    expect(parsed.success, `${f}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))}`).toBe(true);
  }
  const report = reportSchema.parse(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')));
  expect(report.results.map((x) => [x.regress.join(','), x.expected, x.verdict, x.transport])).toEqual([
    ['', 'pass', 'pass', 'fetch-stream'],
    ['leak-on-switch', 'catch', 'fail', 'fetch-stream'],
  ]);
  expect(report.transports).toEqual(['fetch-stream']);
  expect(report.matrix?.every((c) => c.ok && c.transport === 'fetch-stream')).toBe(true);
  // The terminal's matrix and verdict table name it too.
  expect(r.stdout).toMatch(/^regression class\s+chromium · fetch-stream\s*$/m);
  expect(r.stdout).toMatch(/^switch-return\s+chromium\s+fetch-stream\s+PASS /m);

  // JUnit: the caught regression is a passing case; nothing failed.
  const junit = parseJUnit(join(dir, 'latest.junit.xml'));
  expect(junit.testsuites.tests).toBe('2');
  expect(junit.testsuites.failures).toBe('0');
  const cases = asList(junit.testsuites.testsuite).flatMap((s: Json) => asList(s.testcase));
  expect(cases.map((c: Json) => c.name)).toEqual([
    'switch-return [transport fetch-stream]',
    'switch-return [transport fetch-stream] [regress leak-on-switch]',
  ]);
  expect(cases.every((c: Json) => c.failure === undefined && c.error === undefined)).toBe(true);

  const md = readFileSync(join(dir, 'latest.md'), 'utf8');
  expect(md).toContain('✅ **sse-harness: all 2 runs as expected**');
  expect(md).toContain('· transports fetch-stream ·');
  expect(md).toContain('| regression class | chromium · fetch-stream |');
  expect(md).toMatch(/\| leak-on-switch \| ✅ caught · liveStreams/);
  expect(md).toContain('| switch-return [transport fetch-stream] [regress leak-on-switch] | chromium | ✅ caught |');
  const html = readFileSync(join(dir, 'latest.html'), 'utf8');
  expect(html).toContain('<th>chromium · fetch-stream</th>');
  expect(html).toContain(' · transports fetch-stream');
});

test('a failing run: JUnit failure with the oracle, Markdown in $GITHUB_STEP_SUMMARY, HTML charts and evidence', async () => {
  const r0 = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const summaryFile = join(r0.tmp, 'step-summary.md');
  writeFileSync(summaryFile, '# earlier step\n');
  const r = await runCli(
    [
      'run',
      'scenarios/switch-return.yaml',
      'scenarios/return-reattach.yaml',
      '--regress',
      'leak-on-switch',
      '-q',
      '-o',
      'TMP/f',
    ],
    { GITHUB_STEP_SUMMARY: summaryFile },
  );
  expect(r.code, r.explain()).toBe(1);
  const dir = join(r.tmp, 'f');
  const report = reportSchema.parse(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')));
  const failed = report.results.filter((x) => x.verdict === 'fail');
  expect(failed.length).toBeGreaterThan(0);

  const junit = parseJUnit(join(dir, 'latest.junit.xml'));
  expect(Number(junit.testsuites.failures)).toBe(failed.length);
  const failing = asList(junit.testsuites.testsuite)
    .flatMap((s: Json) => asList(s.testcase))
    .filter((c: Json) => c.failure);
  expect(
    failing.map((c: Json) => c.name),
    r.explain(),
  ).toContain('switch-return [regress leak-on-switch]');
  expect(failing.find((c: Json) => c.name.startsWith('switch-return')).failure.message, r.explain()).toMatch(
    /^liveStreams: /,
  );

  const summary = readFileSync(summaryFile, 'utf8');
  expect(summary.startsWith('# earlier step\n')).toBe(true);
  expect(summary).toContain(`❌ **sse-harness: ${failed.length} of ${report.results.length} runs failed**`);
  expect(summary).toMatch(/\*\*liveStreams\*\*: /);

  const exe = findChromium();
  test.skip(!exe, 'no Chromium to open the HTML report with');
  const browser = await chromium.launch({ executablePath: exe!.path, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    // Self-contained: opened from a file, no network at all.
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file://') ? route.continue() : route.abort(),
    );
    await page.goto(`file://${join(dir, 'latest.html')}`);
    await expect(page.locator('.chart[data-rendered="1"]')).toHaveCount(report.results.length);
    const painted = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.chart canvas')).map((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
        return { w: canvas.width, h: canvas.height, inked };
      }),
    );
    expect(painted).toHaveLength(report.results.length);
    for (const p of painted) {
      expect(p.w).toBeGreaterThan(100);
      expect(p.inked).toBeGreaterThan(1000);
    }
    const section = page.locator('section.result.fail', { hasText: 'switch-return' }).first();
    await expect(section.locator('.evidence').first()).toContainText('liveStreams');
    await expect(section.locator('tr.bad').first()).toContainText('liveStreams');
  } finally {
    await browser.close();
  }
});
