// Each transport's leak is seen by every witness that can see it: a small page of our own opens a chat stream as a
// fetch stream, an XHR stream or a WebSocket, then "stops" it. Its healthy twin really closes it (cancels the reader,
// aborts the XHR, closes the socket); the leaky one does not (releases the reader's lock, drops the XHR's handler,
// forgets the socket). The server ledger and the page probe judge in every browser, CDP (network and, for
// WebSockets, the heap) in Chromium.
import { expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBackend, type BackendOptions } from '../harness/mock/backend.ts';
import { byTransport } from '../harness/mock/ledger.ts';
import { websocketProfile } from '../harness/mock/profiles/websocket.ts';
import { AI_SDK_SERVER_MODEL, aiSdkProfile } from '../harness/mock/profiles/ai-sdk.ts';
import type { BrowserLauncher, BrowserPage, LaunchOptions } from '../harness/driver/types.ts';
import { CdpProbe } from '../harness/probe/cdp.ts';
import { PageProbeClient } from '../harness/probe/page-probe-client.ts';
import { TextRecorder } from '../harness/runner/page-events.ts';
import type { RunState } from '../harness/runner/steps.ts';
import { WitnessSampler } from '../harness/runner/witness-sampler.ts';
import type { Target } from '../harness/targets/types.ts';
import { Timeline, type StreamTransport, type TransportCounts, type WitnessCounts } from '../harness/timeline.ts';
import { crossCheck } from '../harness/probe/crosscheck.ts';
import { test } from './support/browser.ts';
import { waitFor } from './support/cdp-server.ts';
import { ROOT } from './support/cli.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/runner/run.ts';
import { referenceTargetAt } from '../harness/targets/reference.ts';
import { socketTransports } from '../harness/timeline-queries.ts';

// Plain ES2017 with promises: it runs in WebKitGTK as it is.
const APP = `
var q = new URLSearchParams(location.search);
var mode = q.get('mode');
var leak = q.get('leak') === '1';
var state = (window.state = { opened: false, events: 0, stop: null });
function json(url, body) {
  return fetch(url, { method: 'POST', body: JSON.stringify(body) }).then(function (r) { return r.json(); });
}
json('/api/session/new', {}).then(function (r) {
  var sid = r.session.session_id;
  if (mode === 'many') return many(sid, q.get('kind'), Number(q.get('n')));
  if (mode === 'idle') return;
  if (mode === 'posts') {
    // n chats' turns at once, each POST answered with its stream and left unread.
    window.kept = [];
    for (var i = 0; i < Number(q.get('n')); i++) {
      var turn = { id: 'chat' + i, trigger: 'submit-message', messages: [{ id: 'u' + i, role: 'user', parts: [{ type: 'text', text: 'hi' }] }] };
      window.kept.push(fetch('/api/chat', { method: 'POST', body: JSON.stringify(turn) }));
    }
    return;
  }
  if (mode === 'post') {
    // The AI SDK's way: the turn's POST is answered with its stream, on a path the probe was not told of.
    var body = { id: sid, trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] };
    return fetch('/api/chat', { method: 'POST', body: JSON.stringify(body) }).then(function (res) {
      window.kept = res.body.getReader();
      state.opened = true;
    });
  }
  if (mode === 'ws') {
    var ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/chat/ws');
    ws.onopen = function () { ws.send(JSON.stringify({ type: 'start', session_id: sid, message: 'hi' })); state.opened = true; };
    ws.onmessage = function () { state.events++; };
    window.kept = ws;
    state.stop = function () { if (leak) ws.onmessage = null; else ws.close(); };
    return;
  }
  return json('/api/chat/start', { session_id: sid, message: 'hi' }).then(function (s) {
    var url = '/api/chat/stream?stream_id=' + s.stream_id;
    if (mode === 'xhr') {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', url);
      xhr.onprogress = function () { state.events++; state.opened = true; };
      xhr.send();
      window.kept = xhr;
      state.stop = function () { if (leak) xhr.onprogress = null; else xhr.abort(); };
      return;
    }
    if (mode === 'byob' || mode === 'clone') return readOther(url, mode);
    return fetch(url).then(function (res) {
      var reader = res.body.getReader();
      var stopped = false;
      window.kept = res;
      state.opened = true;
      (function pump() {
        reader.read().then(function (x) {
          if (x.done) return;
          if (stopped) return reader.releaseLock();
          state.events++;
          pump();
        }, function () {});
      })();
      state.stop = function () { if (leak) stopped = true; else reader.cancel(); };
    });
  });
});
// Other ways to read a fetch body: a BYOB reader, or a clone of the response (the original cancelled at the stop).
function readOther(url, mode) {
  return fetch(url).then(function (res) {
    var from = mode === 'clone' ? res.clone() : res;
    var reader = mode === 'byob' ? from.body.getReader({ mode: 'byob' }) : from.body.getReader();
    state.opened = true;
    (function pump() {
      (mode === 'byob' ? reader.read(new Uint8Array(4096)) : reader.read()).then(function (x) {
        if (x.done) return;
        state.events++;
        pump();
      }, function (e) { state.error = state.error || String(e); });
    })();
    state.stop = function () {
      reader.cancel();
      if (mode === 'clone') res.body.cancel().catch(function (e) { state.error = String(e); });
    };
  }).catch(function (e) { state.error = String(e); });
}
// n streams of one run, all kept: fetch streams left unread, or WebSockets resuming the run.
function many(sid, kind, n) {
  return json('/api/chat/start', { session_id: sid, message: 'hi' }).then(function (s) {
    window.kept = [];
    for (var i = 0; i < n; i++) {
      if (kind === 'fetch') window.kept.push(fetch('/api/chat/stream?stream_id=' + s.stream_id + '&n=' + i));
      else {
        var ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/chat/ws');
        ws.onopen = function () { this.send(JSON.stringify({ type: 'resume', stream_id: s.stream_id, after_seq: 0 })); };
        window.kept.push(ws);
      }
    }
    state.opened = true;
  });
}
`;

const MODES: { mode: 'fetch' | 'xhr' | 'ws'; transport: StreamTransport; server: StreamTransport }[] = [
  { mode: 'fetch', transport: 'fetch-stream', server: 'fetch-stream' },
  // The server cannot tell an XHR from a fetch: both are streams read by script.
  { mode: 'xhr', transport: 'xhr-stream', server: 'fetch-stream' },
  { mode: 'ws', transport: 'websocket', server: 'websocket' },
];

/** What a test gets of our small app opened in a page: the backend serving it, the page, and its witnesses. */
interface App {
  backend: MockBackend;
  timeline: Timeline;
  page: BrowserPage;
  probe: PageProbeClient;
  /** Attached where the browser has CDP (Chromium). */
  cdp: CdpProbe | undefined;
}

/**
 * Serves the app from a temp folder with a mock backend (every chat armed with a long answer), opens it at `?query`
 * in this project's browser, CDP attached where there is one; everything is stopped and removed after `use`.
 */
async function withApp(
  kept: { launcher: BrowserLauncher; launch: LaunchOptions },
  query: string,
  backendOptions: Omit<BackendOptions, 'root'>,
  use: (app: App) => Promise<void>,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sse-harness-transports-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head><script src="app.js"></script></head></html>');
  writeFileSync(join(root, 'app.js'), APP);
  const timeline = new Timeline();
  const backend = new MockBackend({ root, ...backendOptions }, timeline);
  backend.arm('*', 'long', [{ tokens: { count: 1200, rate: 40 } }]);
  let page: BrowserPage | undefined;
  const cdp = new CdpProbe();
  try {
    await backend.start();
    page = await kept.launcher.launch(kept.launch);
    const withCdp = page.cdpPort !== undefined;
    if (withCdp) await cdp.attach({ port: page.cdpPort!, targetId: page.cdpTargetId });
    await page.goto(`${backend.url}/?${query}`);
    const opened = page;
    const probe = new PageProbeClient((e) => opened.evaluate(e));
    await use({ backend, timeline, page, probe, cdp: withCdp ? cdp : undefined });
  } finally {
    await cdp.close();
    await page?.close();
    await backend.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

interface Seen {
  server: TransportCounts;
  page: TransportCounts;
  cdp?: TransportCounts;
  heap?: TransportCounts;
}

for (const { mode, transport, server } of MODES) {
  for (const leak of [false, true]) {
    test(`${transport}: ${leak ? 'left open after the UI stopped it, every witness counts it' : 'closed by the UI, every witness lets it go'}`, async ({
      kept,
    }) => {
      const query = `mode=${mode}&leak=${leak ? 1 : 0}`;
      await withApp(kept, query, { heartbeatMs: 500, profile: websocketProfile() }, async (app) => {
        const { backend, timeline, page, probe, cdp } = app;
        // The runner's sampler reads the page: its events go on the timeline as in a run.
        const state: RunState = {
          viewed: null,
          frozen: false,
          switching: false,
          showing: false,
          opened: true,
          pageHung: false,
        };
        const sampler = new WitnessSampler({
          timeline,
          backend,
          target: {} as Target,
          state,
          texts: new TextRecorder(timeline, backend, {}),
          page: () => page,
          probe: () => probe,
          cdp: () => cdp,
        });

        const seen = async (): Promise<Seen> => {
          const r = await sampler.readPage(false);
          const heap = cdp && transport === 'websocket' ? await cdp.census() : null;
          return {
            server: byTransport(backend.ledger.openChatStreams()),
            page: r.counts?.transports ?? {},
            ...(cdp ? { cdp: cdp.networkOpenByTransport() } : {}),
            ...(heap ? { heap: heap.transports } : {}),
          };
        };
        const one: Seen = {
          server: { [server]: 1 },
          page: { [transport]: 1 },
          ...(cdp ? { cdp: { [transport]: 1 } } : {}),
          ...(cdp && transport === 'websocket' ? { heap: { websocket: 1 } } : {}),
        };
        const none: Seen = { server: {}, page: {}, ...(cdp ? { cdp: {} } : {}), ...(one.heap ? { heap: {} } : {}) };

        // Streaming: every witness sees the one stream, as its transport.
        const same = (want: Seen) => (got: Seen) => JSON.stringify(got) === JSON.stringify(want);
        await waitFor(`every witness to see one ${transport}`, seen, same(one), 15_000, 100);
        expect(timeline.of('page-open').map((e) => e.transport)).toEqual([transport]);

        await page.evaluate('window.state.stop()');
        const rec = backend.ledger.sse[0]!;
        if (leak) {
          // The server goes on writing to it well after the stop: it is open, not closing.
          const sent = rec.events;
          await waitFor(
            'ten more events written after the stop',
            () => rec.events,
            (n) => n >= sent + 10,
            15_000,
          );
          expect(await seen()).toEqual(one);
          expect(rec.closedAt).toBeNull();
          expect(timeline.of('page-close')).toEqual([]);
        } else {
          await waitFor(`every witness to let the ${transport} go`, seen, same(none), 15_000, 100);
          expect(rec.closedBy).toBe('client');
          // The page's own close is what the probe reports, so the runner can tell a release from a server's end.
          expect(timeline.of('page-close')).toHaveLength(1);
        }
        // A step's settled sample, as the runner takes it: every witness's count, split by transport, and agreement.
        await sampler.sample('after stop');
        const [sample] = timeline.of('sample');
        const n = leak ? 1 : 0;
        expect(sample!.witnesses).toMatchObject({ server: n, page: n, ...(cdp ? { cdp: n, cdpQueued: 0 } : {}) });
        expect(sample!.witnesses.transports).toEqual(
          leak
            ? { server: { [server]: 1 }, page: { [transport]: 1 }, ...(cdp ? { cdp: { [transport]: 1 } } : {}) }
            : undefined,
        );
        expect(timeline.of('finding')).toEqual([]);
      });
    });
  }
}

for (const mode of ['byob', 'clone'] as const) {
  test(`a fetch body read ${mode === 'byob' ? 'with a BYOB reader' : 'through a clone'}: read as without the probe, counted and let go by every witness`, async ({
    kept,
  }) => {
    await withApp(kept, `mode=${mode}`, { heartbeatMs: 500 }, async ({ backend, page, probe, cdp }) => {
      const nativeByob = `(() => { try { new Response('x').body.getReader({ mode: 'byob' }); return true; } catch (e) { return false; } })()`;
      test.skip(
        mode === 'byob' && !(await page.evaluate<boolean>(nativeByob)),
        "this browser's own fetch bodies have no BYOB reader (no byte streams: WebKitGTK)",
      );
      const seen = async () => ({
        server: byTransport(backend.ledger.openChatStreams()),
        page: (await probe.read()).transports ?? {},
        ...(cdp ? { cdp: cdp.networkOpenByTransport() } : {}),
      });
      const one = {
        server: { 'fetch-stream': 1 },
        page: { 'fetch-stream': 1 },
        ...(cdp ? { cdp: { 'fetch-stream': 1 } } : {}),
      };
      const none = { server: {}, page: {}, ...(cdp ? { cdp: {} } : {}) };
      const same = (want: object) => (got: object) => JSON.stringify(got) === JSON.stringify(want);
      // The page reads the answer as it would unwrapped: events arrive, nothing throws.
      const state = () => page.evaluate<{ events: number; error?: string }>('window.state');
      await waitFor('the page to read ten events', state, (x) => x.events >= 10 || x.error !== undefined, 15_000, 100);
      expect((await state()).error).toBeUndefined();
      await waitFor('every witness to see one fetch stream', seen, same(one), 15_000, 100);
      await page.evaluate('window.state.stop()');
      await waitFor('every witness to let it go', seen, same(none), 15_000, 100);
      expect(backend.ledger.sse[0]!.closedBy).toBe('client');
      expect((await state()).error).toBeUndefined();
    });
  });
}

/** Every witness's counts, as a sample has them, for the pool tests. */
async function poolCounts({ backend, probe, cdp }: App): Promise<WitnessCounts> {
  const r = await probe.read();
  const open = backend.ledger.openChatStreams();
  const queued = cdp ? cdp.networkQueued() : 0;
  return {
    server: open.length,
    page: r.open,
    pageConnecting: r.connecting,
    ...(cdp ? { cdp: cdp.networkOpen() - queued, cdpQueued: queued } : {}),
    transports: {
      server: byTransport(open),
      page: r.transports ?? {},
      ...(cdp ? { cdp: cdp.networkOpenByTransport() } : {}),
    },
  };
}

/** Waits for eight streams to one origin to fill its pool: six open at every witness, two waiting (CDP: queued). */
const poolFull = (app: App, what: string) =>
  waitFor(
    `six ${what} open and two waiting`,
    () => poolCounts(app),
    (c) => c.server === 6 && c.page === 6 && c.pageConnecting === 2 && (c.cdpQueued ?? 2) === 2,
    15_000,
    100,
  );

test("eight fetch streams on one origin: six hold the pool's sockets, two wait, and the cross-check says so", async ({
  kept,
}) => {
  await withApp(kept, 'mode=many&kind=fetch&n=8', { heartbeatMs: 500, profile: websocketProfile() }, async (app) => {
    const w = await poolFull(app, 'fetch streams');
    expect(w.transports!.page).toEqual({ 'fetch-stream': 6 });
    const f = crossCheck(w);
    expect(f?.finding).toBe('pool-exhaustion');
    expect(f?.summary).toMatch(/^page holds 6 fetch streams \(\+2 waiting\), server sees 6: .* 2 requests queued/);
  });
});

test('eight WebSockets on one origin: all open, nothing waits, the witnesses agree', async ({ kept }) => {
  await withApp(kept, 'mode=many&kind=ws&n=8', { heartbeatMs: 500, profile: websocketProfile() }, async (app) => {
    // WebSockets wait in no per-host pool of six.
    const w = await waitFor(
      'eight WebSockets open',
      () => poolCounts(app),
      (c) => c.server === 8 && c.page === 8 && (c.cdp ?? 8) === 8,
      15_000,
      100,
    );
    expect(w.pageConnecting).toBe(0);
    expect(w.transports!.page).toEqual({ websocket: 8 });
    expect(crossCheck(w)).toBeNull();
  });
});

test('emulated offline: a new WebSocket fails as on a lost network, and none reaches the server', async ({ kept }) => {
  await withApp(kept, 'mode=idle', { profile: websocketProfile() }, async ({ backend, page, probe }) => {
    await probe.setOffline(true);
    const got = await page.evaluate<string[]>(`new Promise((done) => {
      const seen = [];
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/chat/ws');
      ws.onopen = () => seen.push('open');
      ws.onerror = () => seen.push('error');
      ws.onclose = () => { seen.push('close'); done(seen); };
    })`);
    expect(got).toEqual(['error', 'close']);
    expect((await probe.read()).transports).toEqual({});
    expect(backend.ledger.sse).toEqual([]);
  });
});

test('an XHR opened again lets its stream go, and its next request is judged on its own', async ({ kept }) => {
  await withApp(kept, 'mode=xhr&leak=1', { heartbeatMs: 500 }, async ({ backend, page, probe }) => {
    const events: string[] = [];
    const read = async () => {
      const r = await probe.read();
      events.push(...r.events.map((e) => e.kind));
      return r;
    };
    await waitFor('the XHR stream open', read, (r) => r.transports?.['xhr-stream'] === 1, 15_000, 100);
    await page.evaluate(
      `(() => { const x = window.kept; x.open('GET', '/api/chat/stream?stream_id=nope'); x.send(); return 1; })()`,
    );
    await waitFor(
      'the stream let go, the 404 not counted',
      read,
      (r) => r.open === 0 && r.connecting === 0,
      15_000,
      100,
    );
    expect(events.filter((k) => k === 'stream-close')).toHaveLength(1);
    await waitFor(
      'the server to see it closed',
      () => backend.ledger.openChatStreams().length,
      (n) => n === 0,
      15_000,
    );
  });
});

// The reference UI over fetch streams, through the runner: the healthy UI's witnesses agree at every step; its
// leak-on-switch is seen by every witness, and the verdict names fetch streams.
const switchReturn = loadScenarioFile(join(ROOT, 'scenarios', 'switch-return.yaml'));
const overFetch = referenceTargetAt(undefined, 'fetch-stream');

test('reference UI over fetch streams: every witness agrees at every step of switch-return', async ({
  kept: { launcher, launch },
}) => {
  const r = await runScenario(switchReturn, { target: overFetch, launcher, launch, regress: [] });
  expect(r.error).toBeUndefined();
  expect(r.verdicts.filter((v) => !v.pass)).toEqual([]);
  expect(r.findings).toEqual([]);
  const steps = r.timeline.flatMap((e) => (e.kind === 'sample' && !e.tick ? [e] : []));
  expect(steps.length).toBeGreaterThan(10);
  for (const s of steps) {
    const server = s.witnesses.server! - (s.witnesses.serverDraining ?? 0);
    expect(s.witnesses.page, s.step).toBe(server);
    if (r.browser === 'chromium') expect(s.witnesses.cdp, s.step).toBe(server);
  }
  // What the witnesses counted were fetch streams.
  expect(steps.some((s) => s.witnesses.transports?.page?.['fetch-stream'] === 1)).toBe(true);
  // Its fetch sends an EventSource's request (GET, Accept: text/event-stream): the server alone cannot tell, the page
  // that created each stream can, and the report goes by the page.
  const opens = r.timeline.filter((e) => e.kind === 'sse-open');
  expect(opens.every((e) => e.transport === 'eventsource')).toBe(true);
  expect(new Set(socketTransports(r.timeline).values())).toEqual(new Set(['fetch-stream']));
});

test('reference UI over fetch streams: leak-on-switch is seen by every witness and named as fetch streams', async ({
  kept: { launcher, launch },
}) => {
  const r = await runScenario(switchReturn, {
    target: overFetch,
    launcher,
    launch,
    regress: ['leak-on-switch'],
  });
  expect(r.error).toBeUndefined();
  const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
  expect(live.pass).toBe(false);
  // The worst moment: more fetch streams than the sessions the user views.
  expect(live.summary).toMatch(/^\d+ fetch streams open \(sessions .*\) while the user views \d streaming session/);
  const peaks = live.evidence.witnessPeaks as Record<string, number>;
  for (const w of r.browser === 'chromium' ? ['server', 'page', 'cdp'] : ['server', 'page'])
    expect(peaks[w], w).toBeGreaterThanOrEqual(2);
  expect((live.evidence.leaked as { transport?: string }[]).every((l) => l.transport === 'fetch-stream')).toBe(true);
});

test('a text/event-stream answer off the named routes (a turn POST) is a fetch stream to every witness', async ({
  kept,
}) => {
  // The AI SDK profile without its stream routes: the probes are told only of hermes-webui's stream path.
  const profile = { ...aiSdkProfile, streamRoutes: undefined };
  await withApp(kept, 'mode=post', { profile, server: AI_SDK_SERVER_MODEL }, async ({ backend, probe, cdp }) => {
    const seen = async () => ({
      server: byTransport(backend.ledger.openChatStreams()),
      page: (await probe.read()).transports ?? {},
      ...(cdp ? { cdp: cdp.networkOpenByTransport(), cdpOpen: cdp.networkOpen() } : {}),
    });
    const one = {
      server: { 'fetch-stream': 1 },
      page: { 'fetch-stream': 1 },
      ...(cdp ? { cdp: { 'fetch-stream': 1 }, cdpOpen: 1 } : {}),
    };
    await waitFor(
      'every witness to see the POST stream',
      seen,
      (v) => JSON.stringify(v) === JSON.stringify(one),
      15_000,
      100,
    );
  });
});

test("the AI SDK's turn POSTs fill the pool: six streams answered, two POSTs waiting, a full pool to the cross-check", async ({
  kept,
}) => {
  await withApp(kept, 'mode=posts&n=8', { profile: aiSdkProfile, server: AI_SDK_SERVER_MODEL }, async (app) => {
    // The POSTs name their route: each counts as a stream waiting for a socket from the moment it is sent.
    const w = await poolFull(app, 'POST streams');
    expect(crossCheck(w)?.summary).toMatch(/^page holds 6 fetch streams \(\+2 waiting\), server sees 6: /);
  });
});
