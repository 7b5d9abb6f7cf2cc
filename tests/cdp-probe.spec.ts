// The CDP probe against a real Chromium and a loopback SSE server: census, network lifecycle, pool queueing, long tasks, failing soft.
import { test, expect } from '@playwright/test';
import { ChromiumLauncher } from '../harness/driver/chromium.ts';
import type { BrowserPage } from '../harness/driver/types.ts';
import { CdpProbe, type CdpLongTask } from '../harness/probe/cdp.ts';
import { crossCheck } from '../harness/probe/crosscheck.ts';
import { startCdpTestServer, waitFor, type CdpTestServer } from './support/cdp-server.ts';

interface Rig {
  page: BrowserPage;
  server: CdpTestServer;
  probe: CdpProbe;
}

const launcher = new ChromiumLauncher();
test.skip(launcher.missing() !== null, launcher.missing() ?? '');

// Attach before navigating: requests started before attach are invisible to the Network domain.
async function withRig(opts: { withPageProbe?: boolean }, body: (rig: Rig) => Promise<void>): Promise<void> {
  const server = await startCdpTestServer(opts);
  let page: BrowserPage | undefined;
  const probe = new CdpProbe();
  try {
    page = await launcher.launch();
    await probe.attach({ port: page.cdpPort!, targetId: page.cdpTargetId });
    await page.goto(`${server.url}/`);
    await body({ page, server, probe });
  } finally {
    await probe.close();
    await page?.close();
    await server.close();
  }
}

for (const withPageProbe of [false, true]) {
  test(`census, network and server agree after close and drop${withPageProbe ? ' (EventSource wrapped by the page probe)' : ''}`, async () => {
    await withRig({ withPageProbe }, async ({ page, server, probe }) => {
      const t0 = Date.now();
      await page.evaluate(
        `(() => { window.keep = []; for (let i = 0; i < 5; i++) window.keep.push(new EventSource('/sse?n=' + i)); return 1; })()`,
      );
      await waitFor(
        '5 streams at the server',
        () => server.sseSockets(),
        (n) => n === 5,
      );
      await waitFor(
        '5 streams answered over CDP',
        () => probe.networkRequests().filter((r) => r.respondedAt !== null).length,
        (n) => n === 5,
      );

      // Two closed but still referenced, one dropped while open; a WeakRef tells whether the dropped one outlives GC.
      await page.evaluate(`(() => {
        const [a, b, c, d, e] = window.keep;
        a.close(); b.close();
        window.keep = [a, b, c, d];
        window.dropped = new WeakRef(e);
        return 1;
      })()`);
      expect(await probe.collectGarbage()).toBe(true);
      expect(await page.evaluate<boolean>('window.dropped.deref() !== undefined')).toBe(true);

      const census = await probe.census();
      expect(census).toMatchObject({ open: 3, connecting: 0, closed: 2, total: 5, stale: false });
      expect(census!.startedAt).toBeLessThanOrEqual(census!.at);
      await waitFor(
        'network-level open count of 3',
        () => probe.networkOpen(),
        (n) => n === 3,
      );
      expect(probe.networkQueued()).toBe(0);
      await waitFor(
        '3 streams at the server',
        () => server.sseSockets(),
        (n) => n === 3,
      );

      server.broadcast('second');
      await waitFor(
        'a second message on each open stream',
        () => probe.networkRequests().filter((r) => r.endedAt === null && r.messages >= 2).length,
        (n) => n === 3,
      );

      const events = probe.networkEvents();
      const ends = events.filter((e) => e.kind === 'es-end');
      expect(events.filter((e) => e.kind === 'es-request')).toHaveLength(5);
      expect(ends).toHaveLength(2);
      // close() ends in loadingFailed(canceled), never loadingFinished (FACTS.md).
      for (const e of ends) expect(e).toMatchObject({ reason: 'canceled' });
      // Monotonic CDP times converted to epoch ms must land inside the test's own wall-clock window.
      for (const e of events) {
        expect(e.t).toBeGreaterThanOrEqual(t0 - 50);
        expect(e.t).toBeLessThanOrEqual(Date.now() + 50);
      }
      expect(probe.networkEvents()).toHaveLength(0);
    });
  });
}

test('a 300 ms task is a long task of about 300 ms and grows TaskDuration; the page watchdog sees it too', async () => {
  await withRig({ withPageProbe: true }, async ({ page, probe }) => {
    const before = await probe.metrics();
    expect(before?.stale).toBe(false);
    await probe.longTasks();
    const from = Date.now();
    // On a timer, so it is a task of its own and not part of the evaluate that schedules it.
    await page.evaluate(
      `setTimeout(() => { const end = performance.now() + 300; while (performance.now() < end); }, 0), 1`,
    );
    const seen: CdpLongTask[] = [];
    await waitFor(
      'a long task of at least 250 ms',
      async () => (seen.push(...(await probe.longTasks())), seen),
      (l) => l.some((t) => t.duration >= 250),
    );
    const task = seen.find((t) => t.duration >= 250)!;
    // Tolerance: the loop itself is exact; a loaded 2-core box adds preemption on top, never subtracts.
    expect(task.duration).toBeGreaterThanOrEqual(250);
    expect(task.duration).toBeLessThanOrEqual(600);
    expect(task.t).toBeGreaterThanOrEqual(from - 50);
    expect(task.t).toBeLessThanOrEqual(Date.now());
    const after = await probe.metrics();
    expect(after!.taskDurationMs - before!.taskDurationMs).toBeGreaterThanOrEqual(250);
    expect(probe.status().longTaskError).toBeNull();
    // The in-page heartbeat watchdog, the witness every browser has, reports the same block.
    // Tolerance: at least the block minus one 20 ms tick, at most block + 300 ms on a loaded box.
    const beats = await waitFor(
      'a heartbeat stall from the page probe',
      () => page.evaluate<{ source: string; t: number; duration: number }[]>('window.__sseHarness.stalls()'),
      (l) => l.some((s) => s.duration >= 280),
    );
    const beat = beats.find((s) => s.duration >= 280)!;
    expect(beat.duration).toBeLessThanOrEqual(600);
    expect(Math.abs(beat.t - task.t)).toBeLessThanOrEqual(100);
  });
});

test('nine EventSources on one origin: six answered, three queued in the pool', async () => {
  await withRig({ withPageProbe: true }, async ({ page, server, probe }) => {
    await page.evaluate(
      `(() => { window.keep = []; for (let i = 0; i < 9; i++) window.keep.push(new EventSource('/sse?n=' + i)); return 1; })()`,
    );
    await waitFor(
      '9 EventSource requests over CDP',
      () => probe.networkOpen(),
      (n) => n === 9,
    );
    await waitFor(
      '6 streams at the server',
      () => server.sseSockets(),
      (n) => n === 6,
    );
    // A round trip on all six proves the pool has settled before we assert that the other three are still waiting.
    server.broadcast('settle');
    await waitFor(
      'the settle message on six streams',
      () => probe.networkRequests().filter((r) => r.messages >= 2).length,
      (n) => n === 6,
    );
    expect(probe.networkOpen()).toBe(9);
    expect(probe.networkQueued()).toBe(3);
    expect(server.sseSockets()).toBe(6);
    expect(server.sockets()).toBe(6);
    const census = await probe.census();
    expect(census).toMatchObject({ open: 6, connecting: 3, closed: 0, total: 9, stale: false });
    // The page probe's own census is the third witness and must agree.
    expect(
      await page.evaluate('(({ open, connecting }) => ({ open, connecting }))(window.__sseHarness.census())'),
    ).toEqual({ open: 6, connecting: 3 });
    // The runner's cross-check turns the three counts into a pool-exhaustion finding with the numbers.
    const finding = crossCheck({
      server: server.sseSockets(),
      page: 6,
      pageConnecting: 3,
      cdp: probe.networkOpen() - probe.networkQueued(),
      cdpQueued: probe.networkQueued(),
      cdpObjects: census!.open,
    });
    expect(finding?.finding).toBe('pool-exhaustion');
    expect(finding?.summary).toBe(
      "page holds 9 EventSources, server sees 6: the browser's 6-per-host connection pool is exhausted, 3 requests queued for a socket (CDP: requested, never answered)",
    );
    expect(crossCheck({ server: 6, page: 6, pageConnecting: 0, cdp: 6, cdpQueued: 0, cdpObjects: 6 })).toBeNull();
  });
});

test('fails soft: a busy page, a frozen page and a closed probe never hang', async () => {
  await withRig({}, async ({ page, server, probe }) => {
    await page.evaluate(`window.keep = [new EventSource('/sse')], 1`);
    await waitFor(
      'the stream at the server',
      () => server.sseSockets(),
      (n) => n === 1,
    );
    const fresh = await probe.census();
    expect(fresh).toMatchObject({ open: 1, stale: false });
    await probe.domCounters();

    // The task announces itself with a synchronous request, so the census is sure to arrive while it runs.
    const busyMs = probe.deadlineMs + 1500;
    await page.evaluate(`setTimeout(() => {
      const x = new XMLHttpRequest(); x.open('GET', '/busy-started', false); x.send();
      const end = performance.now() + ${busyMs}; while (performance.now() < end);
    }, 0), 1`);
    await waitFor(
      'the busy task to start',
      () => server.busyStarted(),
      (b) => b,
    );
    let t = Date.now();
    const late = await probe.census();
    expect(Date.now() - t).toBeLessThan(probe.deadlineMs + 1000);
    expect(late).toMatchObject({ open: 1, stale: true, at: fresh!.at });
    expect(late!.error).toMatch(/^sse-harness: census got no answer within/);
    expect(probe.status().timeouts).toBeGreaterThanOrEqual(1);
    // The census still in flight is joined, not repeated, and its answer arrives once the task ends.
    await waitFor(
      'a fresh census after the busy task',
      () => probe.census(),
      (c) => c?.stale === false,
      10_000,
    );

    await page.freeze();
    try {
      for (const read of [
        () => probe.census(),
        () => probe.domCounters(),
        () => probe.metrics(),
        () => probe.longTasks(),
      ]) {
        t = Date.now();
        await read();
        expect(Date.now() - t).toBeLessThan(probe.deadlineMs + 1000);
      }
    } finally {
      await page.unfreeze();
    }

    await probe.close();
    t = Date.now();
    const detached = await probe.census();
    expect(Date.now() - t).toBeLessThan(100);
    expect(detached).toMatchObject({ stale: true });
    expect(await probe.domCounters()).toMatchObject({ stale: true });
    expect(await probe.longTasks()).toEqual([]);
    expect(probe.networkOpen()).toBe(1);
    expect(probe.status().attached).toBe(false);
  });
});
