// Playwright-native use: the `sse` fixture, the matchers (which must be able to fail), and the harness reporter.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, ATTACHMENT } from '../harness/playwright/index.ts';
import SseHarnessReporter from '../harness/playwright/reporter.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { judge } from '../harness/oracles/index.ts';

const long = [{ tokens: { count: 240, rate: 40 } }];

test('healthy UI: no leaks after switching, and the stream reattaches on return', async ({ sse }) => {
  await sse.open({ poll: 1000, reconnectMs: 300 });
  const a = await sse.newChat();
  await sse.send('Tell me a long story', long);
  await sse.newChat();
  await sse.send('Another one', long);
  await expect(sse.streams).toHaveNoLeaks();
  await sse.switchTo(a);
  await expect(sse.streams).toReattachWithin(3_000);
  await expect(sse.streams).toHaveNoLeaks();
  // One semantics: the CLI's judge, over the timeline this test recorded, gives the matchers' verdicts.
  const cli = judge(sse.runRecord(), { liveStreams: { graceMs: 750 }, reattach: { withinMs: 3_000 } });
  expect(cli.map((v) => [v.oracle, v.pass])).toEqual([
    ['liveStreams', true],
    ['reattach', true],
  ]);
  expect(sse.verdicts.map((v) => [v.oracle, v.pass])).toEqual([
    ['liveStreams', true],
    ['reattach', true],
    ['liveStreams', true],
  ]);
  expect(cli.find((v) => v.oracle === 'reattach')!.summary).toBe(sse.verdicts[1]!.summary);
});

test('toHaveNoLeaks fails on a UI that leaks streams on switch, naming the numbers', async ({ sse }) => {
  await sse.open({ regress: ['leak-on-switch'], poll: 1000, reconnectMs: 300 });
  await sse.newChat();
  await sse.send('Tell me a long story', long);
  await sse.newChat();
  await sse.send('Another one', long);
  await expect(sse.streams).not.toHaveNoLeaks();
  const c = await sse.streams.counts();
  expect(c.server).toBeGreaterThan(c.allowed);
  // The failure is the liveStreams oracle's own sentence, as the CLI prints it.
  const err = await expect(sse.streams)
    .toHaveNoLeaks()
    .catch((e: Error) => e);
  const [cli] = judge(sse.runRecord(), { liveStreams: { graceMs: 750 } });
  expect(cli!.pass).toBe(false);
  // The same sentence up to how long the excess has lasted, which grows while the leak stays open.
  expect(String(err)).toContain(`liveStreams: ${cli!.summary.split(', for ')[0]!}, for `);
  expect(String(err)).toMatch(
    /liveStreams: 2 chat streams open \(sessions chat1, chat2\) while the user views 1 streaming session, for \d+ ms; peak 2; peaks by witness: .*leaked streams created at \/app\.js:\d+/,
  );
});

test('toReattachWithin fails on a UI that never reattaches', async ({ sse }) => {
  await sse.open({ regress: ['no-reattach'], poll: 1000, reconnectMs: 300 });
  const a = await sse.newChat();
  await sse.send('Tell me a long story', long);
  await sse.newChat();
  await sse.send('Another one', long);
  await sse.switchTo(a);
  await expect(sse.streams).not.toReattachWithin(2_000);
});

test('the harness reporter turns recorded tests into a valid harness report', async ({ sse }, testInfo) => {
  await sse.open();
  await sse.newChat();
  await sse.send('Hi', [{ tokens: { count: 20, rate: 100 } }]);
  // The answer streamed and ended: the recorded timeline holds the stream's open and close.
  await expect
    .poll(() => sse.backend.ledger.sse.filter((r) => r.closedAt !== null).length, { timeout: 10_000 })
    .toBeGreaterThan(0);
  await expect(sse.streams).toHaveNoLeaks();
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-reporter-'));
  const reporter = new SseHarnessReporter({ outputDir: dir, stepSummary: false });
  const body = Buffer.from(JSON.stringify(sse.record()));
  const fakeTest = {
    title: testInfo.title,
    titlePath: () => ['', testInfo.title],
    location: { file: testInfo.file, line: 1, column: 1 },
    expectedStatus: 'passed',
  };
  reporter.onTestEnd(
    fakeTest as never,
    {
      status: 'passed',
      duration: 1234,
      attachments: [{ name: ATTACHMENT, body, contentType: 'application/json' }],
    } as never,
  );
  reporter.onTestEnd(
    fakeTest as never,
    {
      status: 'failed',
      duration: 99,
      error: { message: 'Error: boom' },
      attachments: [{ name: ATTACHMENT, body, contentType: 'application/json' }],
    } as never,
  );
  reporter.onEnd();
  const report = reportSchema.parse(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')));
  expect(report.results.map((r) => r.verdict)).toEqual(['pass', 'fail']);
  expect(report.results[0]!.verdicts.map((v) => v.oracle)).toContain('liveStreams');
  expect(report.results[0]!.timeline.some((e) => e.kind === 'sse-open')).toBe(true);
  expect(readFileSync(join(dir, 'latest.junit.xml'), 'utf8')).toContain('failures="1"');
});
