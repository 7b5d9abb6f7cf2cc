// watch --attach: a Chromium the test started, a page the test makes leak EventSources, the CLI watching live.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { ChromiumLauncher } from '../harness/driver/chromium.ts';
import type { BrowserPage } from '../harness/driver/types.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { startCdpTestServer, type CdpTestServer } from './support/cdp-server.ts';
import { runCli, startCli } from './support/cli.ts';

const launcher = new ChromiumLauncher();
test.skip(launcher.missing() !== null, launcher.missing() ?? '');

let page: BrowserPage | undefined;
let server: CdpTestServer | undefined;
test.afterEach(async () => {
  await page?.close();
  await server?.close();
});

const lastOpen = (out: string) => {
  const all = [...out.matchAll(/EventSources open (\d+)/g)];
  return all.length ? Number(all[all.length - 1]![1]) : -1;
};

test('shows the leak count rising as the page leaks EventSources; Ctrl-C saves a matching report', async () => {
  server = await startCdpTestServer();
  page = await launcher.launch();
  await page.goto(`${server.url}/`);
  const cli = startCli(['watch', '--attach', String(page.cdpPort), '--interval', '200', '--plain', '-o', 'TMP/r']);
  await cli.waitFor(/EventSources open 0/, 20_000);
  const leak = (n: number) =>
    page!.evaluate(
      `(window.leaked = window.leaked || [], Array.from({ length: ${n} }, () => window.leaked.push(new EventSource('/sse'))), window.leaked.length)`,
    );
  await leak(2);
  await cli.waitFor(/EventSources open 2 /, 10_000);
  await leak(2);
  await cli.waitFor(/EventSources open 4 /, 10_000);
  // 6 streams fill the per-host pool; the 7th waits for a socket.
  await leak(3);
  await cli.waitFor(/POOL EXHAUSTED/, 10_000);
  expect(lastOpen(cli.stdout())).toBeGreaterThanOrEqual(6);
  cli.child.kill('SIGINT');
  const { code } = await cli.exited;
  expect(code, cli.stderr()).toBe(1); // the pool ran out while watching
  const file = /report: (\S+\.json)/.exec(cli.stdout())![1]!;
  const report = reportSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  expect(report.complete).toBe(true);
  const watched = report.results.find((r) => r.file.startsWith(server!.url))!;
  expect(watched.findings.map((f) => f.finding)).toContain('pool-exhaustion');
  const heapCounts = watched.timeline.flatMap((e) =>
    e.kind === 'sample' && e.witnesses.cdpObjects !== undefined ? [e.witnesses.cdpObjects] : [],
  );
  // The report holds the same rise the screen showed: 0 → 2 → 4 → 6 or 7 open.
  expect(heapCounts[0]).toBe(0);
  expect(heapCounts).toContain(2);
  expect(heapCounts).toContain(4);
  expect(Math.max(...heapCounts)).toBe(lastOpen(cli.stdout()));
  expect(cli.stdout()).toContain(`peak ${Math.max(...heapCounts)}`);
});

test('a full pool shows in what waits behind it: a fetch queued behind six EventSources, no seventh stream', async () => {
  server = await startCdpTestServer();
  page = await launcher.launch();
  await page.goto(`${server.url}/`);
  const cli = startCli(['watch', '--attach', String(page.cdpPort), '--interval', '200', '--plain', '-o', 'TMP/r']);
  await cli.waitFor(/EventSources open 0/, 20_000);
  await page.evaluate(`(window.leaked = Array.from({ length: 6 }, () => new EventSource('/sse')), 6)`);
  await cli.waitFor(/EventSources open 6 /, 10_000);
  // Six streams hold the six connections, but nothing waits yet: no finding.
  expect(cli.stdout()).not.toContain('POOL EXHAUSTED');
  // The UI's poll, a plain fetch: it waits for a connection that never comes.
  await page.evaluate(`(fetch('/?poll').then(() => (window.polled = true)), 1)`);
  await cli.waitFor(/POOL EXHAUSTED/, 10_000);
  expect(cli.stdout()).toMatch(/by origin: \S+ 6 \(\+1 queued\)/);
  expect(await page.evaluate('window.polled === true')).toBe(false);
  cli.child.kill('SIGINT');
  const { code } = await cli.exited;
  expect(code, cli.stderr()).toBe(1);
  const file = /report: (\S+\.json)/.exec(cli.stdout())![1]!;
  const watched = reportSchema
    .parse(JSON.parse(readFileSync(file, 'utf8')))
    .results.find((r) => r.file.startsWith(server!.url))!;
  expect(watched.findings.map((f) => f.summary)).toEqual([
    expect.stringMatching(/6 EventSources hold .* 1 request queued/),
  ]);
});

test('fetch streams count too, named as such: six read from /sse fill the pool and the seventh waits', async () => {
  server = await startCdpTestServer();
  page = await launcher.launch();
  await page.goto(`${server.url}/`);
  const cli = startCli(['watch', '--attach', String(page.cdpPort), '--interval', '200', '--plain', '-o', 'TMP/r']);
  await cli.waitFor(/EventSources open 0/, 20_000);
  const read = (n: number) =>
    page!.evaluate(
      `(window.readers = window.readers || [], Array.from({ length: ${n} }, () => fetch('/sse').then((r) => window.readers.push(r.body.getReader()))), ${n})`,
    );
  await read(2);
  await cli.waitFor(/chat streams open 2 \[2 fetch streams\] /, 10_000);
  await read(5);
  await cli.waitFor(/POOL EXHAUSTED/, 10_000);
  // The seventh is no stream yet (no answer says so): it waits like any other request.
  expect(cli.stdout()).toMatch(
    /chat streams open 6 \[6 fetch streams\] \(peak 6\) · POOL EXHAUSTED .* 6 \(\+1 queued\)/,
  );
  cli.child.kill('SIGINT');
  const { code } = await cli.exited;
  expect(code, cli.stderr()).toBe(1);
  const file = /report: (\S+\.json)/.exec(cli.stdout())![1]!;
  const watched = reportSchema
    .parse(JSON.parse(readFileSync(file, 'utf8')))
    .results.find((r) => r.file.startsWith(server!.url))!;
  expect(watched.findings.map((f) => f.summary)).toEqual([
    expect.stringMatching(/6 fetch streams hold .* 1 request queued/),
  ]);
  expect(watched.verdicts.find((v) => v.oracle === 'watch')?.summary).toMatch(/^peak 6 open chat streams/);
});

test('a port nothing listens on is a clear error', async () => {
  const r = await runCli(['watch', '--attach', '1', '-o', 'TMP/r']);
  expect(r.code).toBe(2);
  const closed = await runCli(['watch', '--attach', '127.0.0.1:19', '-o', 'TMP/r']);
  expect(closed.code).toBe(2);
  expect(closed.stderr).toMatch(
    /nothing answers DevTools on 127\.0\.0\.1:19 .*Start Chromium with --remote-debugging-port=19/,
  );
});
