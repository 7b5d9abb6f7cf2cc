// liveStreams across tabs, on hand-built timelines: each tab may hold a stream for the chat it shows (a background
// tab's chat is still the user's), one per tab even when two tabs show the same chat; a stream of a chat no tab
// shows is a leak. The same in real browsers: tabs.spec.ts.
import { expect, test } from '@playwright/test';
import { liveStreamsOracle } from '../harness/oracles/liveStreams.ts';
import { noBackgroundReconnectOracle } from '../harness/oracles/streaming.ts';
import type { RunRecord } from '../harness/oracles/types.ts';
import type { BrowserPage } from '../harness/driver/types.ts';
import { crossCheck } from '../harness/probe/crosscheck.ts';
import { RunTabs } from '../harness/runner/tabs.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { Timeline, type TimelineEvent } from '../harness/timeline.ts';

const open = (t: number, socket: number, session: string): TimelineEvent => ({
  kind: 'sse-open',
  t,
  socket,
  streamId: `run-${session}`,
  session,
  path: '/api/chat/stream',
  afterSeq: 0,
});
const runs = (...sessions: string[]): TimelineEvent[] =>
  sessions.map((s) => ({ kind: 'run-start', t: 0, streamId: `run-${s}`, session: s, script: 'long' }));
const view = (t: number, session: string, tab?: string): TimelineEvent => ({
  kind: 'view',
  t,
  session,
  alias: session.toLowerCase(),
  ...(tab ? { tab } : {}),
});

function record(events: TimelineEvent[]): RunRecord {
  const timeline = new Timeline(0);
  for (const e of events) timeline.add(e);
  return {
    scenario: {} as Scenario,
    timeline,
    sessions: { a: 'A', b: 'B', c: 'C' },
    scripted: {},
    endedAt: 5000,
    cycles: [],
  };
}

test('each tab keeps a stream for the chat it shows, the one in the background too', () => {
  // main shows A (streaming), then the user opens a second tab and shows B there; A's tab is now in the background.
  const events = [...runs('A', 'B'), view(0, 'A'), open(10, 1, 'A'), view(1000, 'B', 'second'), open(1100, 2, 'B')];
  const v = liveStreamsOracle(record(events), { graceMs: 750 });
  expect(v.pass, v.summary).toBe(true);
  expect(v.evidence.peakOpen).toBe(2);
  // Opening B's stream in the second tab is no background reconnect: the second tab shows B.
  expect(noBackgroundReconnectOracle(record(events), {}).pass).toBe(true);
});

test('two tabs showing the same chat may each hold its stream; a third stream is a leak', () => {
  const both = [...runs('A'), view(0, 'A'), open(10, 1, 'A'), view(1000, 'A', 'second'), open(1100, 2, 'A')];
  expect(liveStreamsOracle(record(both), { graceMs: 750 }).pass).toBe(true);
  const v = liveStreamsOracle(record([...both, open(1200, 3, 'A')]), { graceMs: 750 });
  expect(v.pass).toBe(false);
  expect(v.summary).toMatch(/^3 chat streams open \(sessions a, a, a\) while the user views 2 streaming sessions/);
  // The excess is the oldest: each tab keeps its newest.
  expect((v.evidence.leaked as { socket: number }[]).map((l) => l.socket)).toEqual([1]);
});

test('a stream left open behind a switch in one tab is a leak, whichever tab is in front', () => {
  // The second tab switches from B to C, but B's stream stays open; the user then goes back to the first tab.
  const events = [
    ...runs('A', 'B', 'C'),
    view(0, 'A'),
    open(10, 1, 'A'),
    view(1000, 'B', 'second'),
    open(1100, 2, 'B'),
    view(2000, 'C', 'second'),
    open(2100, 3, 'C'),
    view(2500, 'A', 'main'),
  ];
  const v = liveStreamsOracle(record(events), { graceMs: 750 });
  expect(v.pass).toBe(false);
  expect(v.summary).toMatch(/^3 chat streams open \(sessions a, b, c\) while the user views 2 streaming sessions/);
  expect((v.evidence.leaked as { session: string }[]).map((l) => l.session)).toEqual(['b']);
});

test("the page probe adds every tab's streams, so the pool-exhaustion finding counts them against the six", async () => {
  // Two tabs' probes as their pages would answer a read: one stream in the first, five and one waiting in the second.
  const page = (read: object, sid: string) =>
    ({ evaluate: async (e: string) => (e.includes('r.sid') ? { ...read, sid } : read) }) as unknown as BrowserPage;
  const tabs = new RunTabs(page({ events: [{ kind: 'es-open', t: 1 }], open: 1, connecting: 0 }, 'A'));
  tabs.add('second', page({ events: [{ kind: 'es-open', t: 2 }], open: 5, connecting: 1 }, 'B'));
  const r = await tabs.probe.read({ sid: 'sid', text: 'text' });
  expect(r).toMatchObject({ open: 6, connecting: 1, sid: 'A' });
  expect(r.events.map((e) => e.t)).toEqual([1, 2]);
  // What the UI shows is the current tab's.
  tabs.current = tabs.get('second')!;
  expect((await tabs.probe.read({ sid: 'sid', text: 'text' })).sid).toBe('B');
  const f = crossCheck({ server: 6, page: r.open, pageConnecting: r.connecting });
  expect(f?.finding).toBe('pool-exhaustion');
});
