// Transports without a browser: stream routes, the ledger's reading of a request, and the cross-check's and the
// liveStreams oracle's words for fetch streams and WebSockets; old timelines without transports still parse.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { PAGE_PROBE_FILE } from '../harness/paths.ts';
import { httpStreamTransport } from '../harness/mock/ledger.ts';
import { liveStreamsOracle } from '../harness/oracles/liveStreams.ts';
import type { RunRecord } from '../harness/oracles/types.ts';
import { crossCheck } from '../harness/probe/crosscheck.ts';
import { chartData } from '../harness/report/html.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import { matchesStreamRoute, routesQuery, transportsPhrase } from '../harness/probe/stream-routes.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { pageReleases, socketTransports } from '../harness/timeline-queries.ts';
import { Timeline, timelineEventSchema, type StreamTransport, type TimelineEvent } from '../harness/timeline.ts';

test('stream routes: literal segments, :param for one segment, a trailing * for any rest, a leading * for any prefix', () => {
  const routes = ['/api/chat/stream', '/api/chat/:id/stream', '/feeds/*', '*/v1/chat/completions'];
  expect(matchesStreamRoute('/api/chat/stream', routes)).toBe(true);
  expect(matchesStreamRoute('/api/chat/stream/status', routes)).toBe(false);
  expect(matchesStreamRoute('/api/chat/abc/stream', routes)).toBe(true);
  expect(matchesStreamRoute('/api/chat//stream', routes)).toBe(false);
  expect(matchesStreamRoute('/api/chat/a/b/stream', routes)).toBe(false);
  expect(matchesStreamRoute('/feeds/x/y', routes)).toBe(true);
  expect(matchesStreamRoute('/feeds', routes)).toBe(false);
  expect(matchesStreamRoute('/api/chat', routes)).toBe(false);
  expect(matchesStreamRoute('/v1/chat/completions', routes)).toBe(true);
  expect(matchesStreamRoute('/openai/proxy/v1/chat/completions', routes)).toBe(true);
  expect(matchesStreamRoute('/v1/chat/completions/x', routes)).toBe(false);
  expect(matchesStreamRoute('/chat/completions', routes)).toBe(false);
  // The page probe's copy, in plain ES2017, gives the same answers.
  const probe = readFileSync(PAGE_PROBE_FILE, 'utf8');
  const src = /function segmentsMatch[\s\S]*?\n  }\n  function routeMatches[\s\S]*?\n  }\n/.exec(probe)![0];
  const routeMatches = new Function(`${src}; return routeMatches;`)() as (path: string, route: string) => boolean;
  const paths = [
    '/api/chat/stream',
    '/api/chat/stream/status',
    '/api/chat/abc/stream',
    '/api/chat//stream',
    '/feeds',
    '/feeds/x/y',
    '/v1/chat/completions',
    '/a/b/v1/chat/completions',
    '/chat/completions',
    '/',
    '',
  ];
  for (const p of paths)
    expect(
      routes.some((r) => routeMatches(p, r)),
      p,
    ).toBe(matchesStreamRoute(p, routes));
  expect(routesQuery(['/api/chat/stream', '/api/chat/:id/stream'])).toBe(
    'chat=%2Fapi%2Fchat%2Fstream&chat=%2Fapi%2Fchat%2F%3Aid%2Fstream',
  );
});

test("the ledger's transport: an EventSource's GET with Accept: text/event-stream, anything else read by script", () => {
  const req = (method: string, headers: Record<string, string>) => ({ method, headers: new Headers(headers) });
  expect(httpStreamTransport(req('GET', { accept: 'text/event-stream' }))).toBe('eventsource');
  expect(httpStreamTransport(req('GET', { accept: '*/*' }))).toBe('fetch-stream');
  expect(httpStreamTransport(req('GET', {}))).toBe('fetch-stream');
  expect(httpStreamTransport(req('POST', { accept: 'text/event-stream', 'content-length': '20' }))).toBe(
    'fetch-stream',
  );
});

test('the cross-check names the transports it counted; EventSource-only counts keep their words', () => {
  expect(
    crossCheck({
      server: 6,
      page: 6,
      pageConnecting: 2,
      cdp: 6,
      cdpQueued: 2,
      transports: { server: { 'fetch-stream': 6 }, page: { 'fetch-stream': 6 }, cdp: { 'fetch-stream': 6 } },
    })?.summary,
  ).toBe(
    "page holds 6 fetch streams (+2 waiting), server sees 6: the browser's 6-per-host connection pool is exhausted, 2 requests queued for a socket (CDP: requested, never answered)",
  );
  expect(crossCheck({ server: 9, page: 6, pageConnecting: 3 })?.summary).toMatch(/^page holds 9 EventSources, /);
  // Seven WebSockets and one connecting fetch: the pool holds no WebSocket, so it is not full.
  expect(
    crossCheck({
      server: 7,
      page: 7,
      pageConnecting: 1,
      transports: { server: { websocket: 7 }, page: { websocket: 7 } },
    }),
  ).toEqual({
    finding: 'witness-disagreement',
    summary: 'witnesses disagree on open chat streams: server 7: 7 WebSockets, page 7 (+1 connecting): 7 WebSockets',
  });
  // The heap sees WebSockets and EventSources, never a fetch stream: two fetch streams and a WebSocket agree with 1.
  expect(
    crossCheck({
      server: 3,
      page: 3,
      cdp: 3,
      cdpObjects: 1,
      transports: { server: { 'fetch-stream': 2, websocket: 1 } },
    }),
  ).toBeNull();
  expect(transportsPhrase({ eventsource: 2, 'xhr-stream': 1, websocket: 1 })).toBe(
    '2 EventSources, 1 XHR stream and 1 WebSocket',
  );
});

function leakRun(transport: StreamTransport | undefined): RunRecord {
  const timeline = new Timeline(0);
  const events: TimelineEvent[] = [
    { kind: 'run-start', t: 0, streamId: 'run-a', session: 'A', script: 'long' },
    { kind: 'run-start', t: 0, streamId: 'run-b', session: 'B', script: 'long' },
    { kind: 'view', t: 0, session: 'A', alias: 'a' },
    ...[1, 2, 3].map((socket): TimelineEvent => ({
      kind: 'sse-open',
      t: socket * 10,
      socket,
      streamId: socket === 1 ? 'run-a' : 'run-b',
      session: socket === 1 ? 'A' : 'B',
      path: '/api/chat/stream',
      afterSeq: 0,
      ...(transport ? { transport } : {}),
    })),
  ];
  for (const e of events) timeline.add(e);
  return { scenario: {} as Scenario, timeline, sessions: { a: 'A', b: 'B' }, scripted: {}, endedAt: 3000, cycles: [] };
}

test('liveStreams names the transport of the open streams; EventSources (or no transport recorded) keep "chat streams"', () => {
  const fetchV = liveStreamsOracle(leakRun('fetch-stream'), { graceMs: 750 });
  expect(fetchV.pass).toBe(false);
  expect(fetchV.summary).toMatch(/^3 fetch streams open \(sessions a, b, b\) while the user views 1 streaming session/);
  expect(fetchV.evidence.transports).toEqual({ 'fetch-stream': 3 });
  expect((fetchV.evidence.leaked as { transport?: string }[]).map((l) => l.transport)).toEqual([
    'fetch-stream',
    'fetch-stream',
  ]);
  expect(liveStreamsOracle(leakRun('websocket'), { graceMs: 750 }).summary).toMatch(/^3 WebSockets open /);
  expect(liveStreamsOracle(leakRun('eventsource'), { graceMs: 750 }).summary).toMatch(/^3 chat streams open /);
  expect(liveStreamsOracle(leakRun(undefined), { graceMs: 750 }).summary).toMatch(/^3 chat streams open /);
});

test('timeline events parse with and without a transport; an unknown one is refused', () => {
  const base = { kind: 'sse-open', t: 1, socket: 1, streamId: 'r', session: 's', path: '/p', afterSeq: 0 };
  expect(timelineEventSchema.safeParse(base).success).toBe(true);
  expect(timelineEventSchema.safeParse({ ...base, transport: 'websocket' }).success).toBe(true);
  expect(timelineEventSchema.safeParse({ ...base, transport: 'carrier-pigeon' }).success).toBe(false);
  const sample = {
    kind: 'sample',
    t: 1,
    step: 's',
    witnesses: { server: 1, page: 1, transports: { server: { 'fetch-stream': 1 }, page: { 'xhr-stream': 1 } } },
  };
  expect(timelineEventSchema.safeParse(sample).success).toBe(true);
});

test("the report's chart: the server's streams by transport once a run has any but EventSources", () => {
  const chart = (transport: StreamTransport | undefined) =>
    chartData({
      timeline: leakRun(transport).timeline.ordered(),
      sessions: { a: 'A', b: 'B' },
      verdicts: [],
    } as unknown as ScenarioResult);
  const fetchChart = chart('fetch-stream');
  const labels = fetchChart.series.map((s) => s.label);
  expect(labels).toContain('server: fetch streams');
  expect(labels).toContain('page: open chat streams');
  const byFetch = fetchChart.series.find((s) => s.label === 'server: fetch streams')!;
  expect(Math.max(...(byFetch.values as number[]))).toBe(3);
  const esLabels = chart(undefined).series.map((s) => s.label);
  expect(esLabels.filter((l) => l.startsWith('server: '))).toEqual(['server: open chat streams']);
  expect(esLabels).toContain('page: open EventSources');
});

test('a page-close with no stream id lets go of the one socket open on its path, and of none when several are', () => {
  const open = (socket: number, t: number): TimelineEvent => ({
    kind: 'sse-open',
    t,
    socket,
    streamId: `run${socket}`,
    session: 'A',
    path: '/api/chat',
    afterSeq: 0,
    transport: 'fetch-stream',
  });
  const close = (t: number): TimelineEvent => ({
    kind: 'page-close',
    t,
    streamId: null,
    afterSeq: 0,
    path: '/api/chat',
  });
  expect([...pageReleases([open(1, 0), close(10)]).bySocket]).toEqual([[1, 10]]);
  expect([...pageReleases([open(1, 0), open(2, 5), close(10)]).bySocket]).toEqual([]);
  // Without a path (an EventSource's close, or an old timeline) nothing is matched by path.
  expect([...pageReleases([open(1, 0), { kind: 'page-close', t: 10, streamId: null, afterSeq: 0 }]).bySocket]).toEqual(
    [],
  );
});

test("a socket's transport is what the page that created it says, else what its request showed the server", () => {
  const open = (socket: number, afterSeq: number, streamId = 'run1'): TimelineEvent => ({
    kind: 'sse-open',
    t: 10 + socket,
    socket,
    streamId,
    session: 'A',
    path: '/api/chat/stream',
    afterSeq,
    transport: 'eventsource',
  });
  const events: TimelineEvent[] = [
    { kind: 'page-open', t: 5, streamId: 'run1', afterSeq: 0, transport: 'fetch-stream' },
    open(1, 0),
    // No page-open for it (an older probe, or a page not asked): the request's word stands.
    open(2, 7, 'run2'),
  ];
  expect([...socketTransports(events)]).toEqual([
    [1, 'fetch-stream'],
    [2, 'eventsource'],
  ]);
});
