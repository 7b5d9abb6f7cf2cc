// The reconnect-rate oracle on hand-built timelines: a UI reopening a stream on its own once a second is a storm;
// one reconnect after a drop, and opens that follow what the user did, are not.
import { expect, test } from '@playwright/test';
import { reconnectRateOracle, uncausedOpens } from '../harness/oracles/reconnectRate.ts';
import type { RunRecord } from '../harness/oracles/types.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { Timeline, type TimelineEvent } from '../harness/timeline.ts';

let socket = 0;
const open = (t: number, session: string): TimelineEvent => ({
  kind: 'sse-open',
  t,
  socket: ++socket,
  streamId: `run-${session}`,
  session,
  path: '/api/chat/stream',
  afterSeq: t,
});
const step = (t: number, name: string, detail?: string): TimelineEvent => ({
  kind: 'step-start',
  t,
  index: t,
  path: `steps[${t}]`,
  step: name,
  detail,
});
const view = (t: number, session: string): TimelineEvent => ({
  kind: 'view',
  t,
  session,
  alias: session.toLowerCase(),
});

function record(events: TimelineEvent[], endedAt = 60_000): RunRecord {
  const timeline = new Timeline(0);
  for (const e of [...events].sort((a, b) => a.t - b.t)) timeline.add(e);
  return { scenario: {} as Scenario, timeline, sessions: { a: 'A', b: 'B' }, scripted: {}, endedAt, cycles: [] };
}

/** The user sends in chat a at t=0 and watches it; the UI opens its stream at 100 ms. */
const sendInA = (): TimelineEvent[] => [
  step(0, 'open'),
  view(10, 'A'),
  step(20, 'send', 'long'),
  { kind: 'run-start', t: 50, streamId: 'run-A', session: 'A', script: 'long' },
  open(100, 'A'),
];

test('a stream reopened once a second while nothing changes is a storm: failed, definite, with the opens as evidence', () => {
  const events = [...sendInA(), open(1100, 'A'), open(2100, 'A'), open(3100, 'A')];
  const v = reconnectRateOracle(record(events), {});
  expect(v.pass).toBe(false);
  expect(v.definite).toBe(true);
  expect(v.summary).toBe(
    'session a: 3 stream opens the user did not cause within 2.0 s (18/min; budget 6/min, measured over at least 10 s)',
  );
  expect(v.t).toBe(1100);
  expect(v.step).toBe('steps[20] send long');
  const evidence = v.evidence as { session: string; opens: { t: number }[]; perMinute: number; caused: number };
  expect(evidence.session).toBe('a');
  expect(evidence.opens.map((o) => o.t)).toEqual([1100, 2100, 3100]);
  expect(evidence.perMinute).toBe(18);
  expect(evidence.caused).toBe(1);
});

test('one reconnect after a drop is within budget, and so are reconnects far apart; two within the window are not', () => {
  const drop = (t: number): TimelineEvent => ({ kind: 'server-drop', t, streamId: 'run-A', sockets: 1, why: 'drop' });
  const once = reconnectRateOracle(record([...sendInA(), drop(2000), open(2400, 'A')]), {});
  expect(once.pass, once.summary).toBe(true);
  expect(once.summary).toBe(
    '2 chat-stream opens, 1 not caused by the user (budget 6/min, measured over at least 10 s)',
  );
  const apart = reconnectRateOracle(
    record([...sendInA(), drop(2000), open(2400, 'A'), drop(32_000), open(32_400, 'A')]),
    {},
  );
  expect(apart.pass, apart.summary).toBe(true);
  const close = reconnectRateOracle(
    record([...sendInA(), drop(2000), open(2400, 'A'), drop(6000), open(6400, 'A')]),
    {},
  );
  expect(close.pass).toBe(false);
  // A looser budget lets the same two through.
  expect(
    reconnectRateOracle(record([...sendInA(), drop(2000), open(2400, 'A'), drop(6000), open(6400, 'A')]), {
      maxPerMinute: 12,
    }).pass,
  ).toBe(true);
});

test('opens that follow what the user did are caused: switching to the chat, unlock, online, foreground, reload', () => {
  const events = [...sendInA()];
  // Back and forth every second: each return opens a's stream again.
  for (let t = 1000; t < 9000; t += 1000)
    events.push(view(t, t % 2000 ? 'B' : 'A'), ...(t % 2000 ? [] : [open(t + 50, 'A')]));
  for (const [t, name] of [
    [10_000, 'unlock'],
    [11_000, 'online'],
    [12_000, 'foreground'],
    [13_000, 'reload'],
    [14_000, 'unfreeze'],
  ] as const)
    events.push(step(t, name), open(t + 100, 'A'));
  const run = record(events);
  expect(uncausedOpens(run.timeline.ordered()).bySession.size).toBe(0);
  expect(reconnectRateOracle(run, {}).pass).toBe(true);
});

test("another session's activity does not excuse a's opens; a cause excuses only the first open after it", () => {
  const events = [
    ...sendInA(),
    view(900, 'B'),
    { kind: 'run-start', t: 950, streamId: 'run-B', session: 'B', script: 'long' } as TimelineEvent,
    open(1100, 'A'),
    open(2100, 'A'),
  ];
  const { bySession } = uncausedOpens(record(events).timeline.ordered());
  expect(bySession.get('A')?.map((o) => o.t)).toEqual([1100, 2100]);
  const unlocked = [...sendInA(), step(1000, 'unlock'), open(1100, 'A'), open(1200, 'A'), open(1300, 'A')];
  expect(
    uncausedOpens(record(unlocked).timeline.ordered())
      .bySession.get('A')
      ?.map((o) => o.t),
  ).toEqual([1200, 1300]);
  expect(reconnectRateOracle(record(unlocked), {}).pass).toBe(false);
});
