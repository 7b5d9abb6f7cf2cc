// Evidence that points, in a real browser (Chromium) against the reference UI with a regression switched on: the
// transcript failure names where and how the answer left its script, the leak names the line of fixtures/chat-ui/app.js
// that created each leaked stream.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launcherFor } from '../harness/driver/index.ts';
import { ChromiumLauncher } from '../harness/driver/chromium.ts';
import type { LeakedStream } from '../harness/timeline-queries.ts';
import { runScenario } from '../harness/runner/run.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import type { Divergence } from '../harness/timeline.ts';
import { startCdpTestServer } from './support/cdp-server.ts';
import { ROOT, startCli } from './support/cli.ts';

const scenario = (name: string) => loadScenarioFile(join(ROOT, 'scenarios', `${name}.yaml`));

function chromium() {
  const launcher = launcherFor('chromium');
  const missing = launcher.missing();
  test.skip(missing !== null, `chromium is not installed: ${missing} (see: npx sse-harness doctor)`);
  return launcher;
}

test('accumulator-reset: the transcript failure names the kind and the offset, with both texts around it', async () => {
  const launcher = chromium();
  const r = await runScenario(scenario('return-reattach'), {
    target: referenceTarget,
    launcher,
    regress: ['accumulator-reset'],
    stopWhen: (failed) => failed.some((v) => v.oracle === 'transcript'),
  });
  expect(r.error).toBeUndefined();
  const v = r.verdicts.find((x) => x.oracle === 'transcript')!;
  expect(v.pass, JSON.stringify(r.verdicts, null, 1)).toBe(false);
  const d = v.evidence.divergence as Divergence;
  // The regression starts the text over and asks only for newer events: the answer either vanishes (a shrink, the
  // shown text now stops short) or shows only its tail (the script's start lost).
  const shrank = v.summary.includes('shrank');
  expect(d.kind).toBe(shrank ? 'truncated' : 'lost');
  expect(v.summary).toMatch(
    shrank
      ? /shrank from \d+ to \d+ chars .* at char \d+: shown "[^"]*", expected "[^"]+"$/
      : /^session a: lost text at char \d+: shown "[^"]+", expected "[^"]+" \(\d+ scripted chars are missing/,
  );
  expect(v.summary).toContain(`at char ${d.offset}`);
  // The windows are the script's and the UI's text from the same char on, and agree up to the divergence.
  expect(d.expected.startsWith('lorem0') || d.from > 0).toBe(true);
  expect(d.shown.slice(0, d.offset - d.from)).toBe(d.expected.slice(0, d.offset - d.from));
  expect(d.shown.slice(d.offset - d.from, d.offset - d.from + 8)).not.toBe(
    d.expected.slice(d.offset - d.from, d.offset - d.from + 8),
  );
  // The same on the timeline's text event, where the runner classified it (a shrink is judged from lengths).
  if (!shrank)
    expect(
      r.timeline.some((e) => e.kind === 'text' && e.divergence?.kind === 'lost' && e.divergence.offset === d.offset),
    ).toBe(true);
});

test('leak-on-switch: each leaked stream names its creation site, a line of fixtures/chat-ui/app.js that creates an EventSource', async () => {
  const launcher = chromium();
  const r = await runScenario(scenario('switch-return'), {
    target: referenceTarget,
    launcher,
    regress: ['leak-on-switch'],
    stopWhen: (failed) => failed.some((v) => v.oracle === 'liveStreams'),
  });
  expect(r.error).toBeUndefined();
  const v = r.verdicts.find((x) => x.oracle === 'liveStreams')!;
  expect(v.pass).toBe(false);
  const leaked = v.evidence.leaked as LeakedStream[];
  expect(leaked.length).toBeGreaterThanOrEqual(1);
  const source = readFileSync(join(ROOT, 'fixtures', 'chat-ui', 'app.js'), 'utf8').split('\n');
  for (const l of leaked) {
    expect(l.site, JSON.stringify(l)).toBeDefined();
    expect(l.site!.file).toBe('/app.js');
    expect(source[l.site!.line - 1], `app.js:${l.site!.line}`).toContain('new EventSource(');
    expect(source[l.site!.line - 1]!.indexOf('EventSource') + 1).toBeLessThanOrEqual(l.site!.column + 'new '.length);
    expect(l.site!.function).toBe('openStream');
  }
  const line = leaked[0]!.site!.line;
  expect(v.summary).toMatch(
    new RegExp(`; leaked streams created at /app\\.js:${line} in openStream \\(×${leaked.length}\\)$`),
  );
  // Recorded on the timeline with each page-open of a chat stream.
  expect(r.timeline.filter((e) => e.kind === 'page-open' && e.site?.line === line).length).toBeGreaterThanOrEqual(
    leaked.length,
  );
});

test('watch --stacks: the probe it installs names where each open EventSource was created', async () => {
  const launcher = chromium() as ChromiumLauncher;
  const server = await startCdpTestServer();
  const page = await launcher.launch();
  try {
    await page.goto(`${server.url}/`);
    const cli = startCli([
      'watch',
      '--attach',
      String(page.cdpPort),
      '--interval',
      '200',
      '--plain',
      '--stacks',
      '-o',
      'TMP/r',
    ]);
    // Two refreshes: the probe is installed for documents loaded after the first.
    await cli.waitFor(/EventSources open 0[^\n]*\n[^\n]*\n[^\n]*EventSources open 0/, 20_000);
    await page.reload();
    await page.evaluate(`(function leakHere() { window.kept = new EventSource('/sse'); })()`);
    await cli.waitFor(new RegExp(`created at 1× ${server.url}/sse ← <anonymous>:1:\\d+ in leakHere`), 10_000);
    cli.child.kill('SIGINT');
    await cli.exited;
  } finally {
    await page.close();
    await server.close();
  }
});
