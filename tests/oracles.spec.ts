// The stream oracles on hand-built timelines: a UI slow to react to a switch is not a leak; a stream left open
// after the UI showed the other session is, however slow the switch was.
import { expect, test } from '@playwright/test';
import { liveStreamsOracle } from '../harness/oracles/liveStreams.ts';
import {
  lockRecoveryOracle,
  noBackgroundReconnectOracle,
  reattachOracle,
  transcriptOracle,
} from '../harness/oracles/streaming.ts';
import { crossCheck } from '../harness/probe/crosscheck.ts';
import type { TimelineEvent } from '../harness/timeline.ts';
import { runRecord, sseClose, sseOpen } from './support/timeline-events.ts';

const [open, close, record] = [sseOpen, sseClose, runRecord];

/** Chat a has finished, b is streaming; the user views b, then switches to a at t=1000. */
function switchAt1000(opts: { shown?: number; bClosesAt: number; aOpensAt: number }): TimelineEvent[] {
  return [
    { kind: 'run-start', t: 0, streamId: 'run-a', session: 'A', script: 'short' },
    { kind: 'run-start', t: 0, streamId: 'run-b', session: 'B', script: 'long' },
    { kind: 'run-end', t: 500, streamId: 'run-a', session: 'A', reason: 'complete' },
    { kind: 'view', t: 0, session: 'B', alias: 'b' },
    open(10, 1, 'B'),
    { kind: 'view', t: 1000, session: 'A', alias: 'a', shown: opts.shown },
    ...[close(opts.bClosesAt, 1, 'B'), open(opts.aOpensAt, 2, 'A'), close(opts.aOpensAt + 5, 2, 'A')].sort(
      (x, y) => x.t - y.t,
    ),
    { kind: 'run-end', t: 5000, streamId: 'run-b', session: 'B', reason: 'complete' },
  ];
}

test('a switch the UI takes 1.8 s to show, closing the old stream as it does, is not a leak', () => {
  const run = record(switchAt1000({ shown: 2850, bClosesAt: 2800, aOpensAt: 2810 }), 6000);
  const v = liveStreamsOracle(run, { graceMs: 750 });
  expect(v.pass, v.summary).toBe(true);
});

test('the old stream left open 1 s after the UI showed the other session is a leak, however slow the switch', () => {
  const run = record(switchAt1000({ shown: 2850, bClosesAt: 3900, aOpensAt: 2810 }), 6000);
  const v = liveStreamsOracle(run, { graceMs: 750 });
  expect(v.pass).toBe(false);
  expect(v.summary).toMatch(
    /^1 chat streams open \(sessions b\) while the user views 0 streaming sessions, for 1050 ms/,
  );
});

test('without a recorded "shown" the switch counts from the click, as before', () => {
  const run = record(switchAt1000({ bClosesAt: 2800, aOpensAt: 2810 }), 6000);
  expect(liveStreamsOracle(run, { graceMs: 750 }).pass).toBe(false);
});

test('an open for the session being left, before the UI showed the new one, is not a background reconnect', () => {
  const events = switchAt1000({ shown: 2850, bClosesAt: 1500, aOpensAt: 2810 });
  // The slow UI reconnects b once more while it has not processed the click yet.
  events.splice(7, 0, open(1600, 3, 'B'), close(1700, 3, 'B'));
  const run = record(events, 6000);
  expect(noBackgroundReconnectOracle(run, { graceMs: 500 }).pass).toBe(true);
  // The same reopen after the UI showed a is one.
  const late = switchAt1000({ shown: 1200, bClosesAt: 1100, aOpensAt: 1150 });
  late.push(open(2600, 3, 'B'), close(2700, 3, 'B'));
  late.sort((x, y) => x.t - y.t);
  const v = noBackgroundReconnectOracle(record(late, 6000), { graceMs: 500 });
  expect(v.pass).toBe(false);
  expect(v.summary).toBe('SSE opened for session b while the user views a');
});

test('a stream the page closed at the switch, which the browser kept reading for 2 s (Chromium drains), is not a leak', () => {
  const pageClose = (t: number, afterSeq = 0): TimelineEvent => ({
    kind: 'page-close',
    t,
    streamId: 'run-B',
    afterSeq,
  });
  // The UI closed b's EventSource as it showed a; the server saw the socket end 2.1 s later.
  const drained = [...switchAt1000({ shown: 1200, bClosesAt: 3300, aOpensAt: 1210 }), pageClose(1190)];
  const v = liveStreamsOracle(record(drained, 6000), { graceMs: 750 });
  expect(v.pass, v.summary).toBe(true);
  // Without the page's close() the same server timeline is a leak: the page's word is what clears it.
  expect(
    liveStreamsOracle(record(switchAt1000({ shown: 1200, bClosesAt: 3300, aOpensAt: 1210 }), 6000), { graceMs: 750 })
      .pass,
  ).toBe(false);
  // A close() of another EventSource (another replay point of the stream) clears nothing.
  const other = [...switchAt1000({ shown: 1200, bClosesAt: 3300, aOpensAt: 1210 }), pageClose(1190, 40)];
  expect(liveStreamsOracle(record(other, 6000), { graceMs: 750 }).pass).toBe(false);
  // A close() with no socket of its stream open (an EventSource closed while emulated offline) matches nothing, not
  // even the socket its stream opens next: the reconnect that follows is the UI's, and counts.
  const offline: TimelineEvent[] = [
    { kind: 'run-start', t: 0, streamId: 'run-B', session: 'B', script: 'long' },
    { kind: 'view', t: 0, session: 'A', alias: 'a' },
    pageClose(100),
    open(400, 1, 'B'),
    close(3000, 1, 'B'),
    { kind: 'run-end', t: 5000, streamId: 'run-B', session: 'B', reason: 'complete' },
  ];
  expect(liveStreamsOracle(record(offline, 6000), { graceMs: 750 }).pass).toBe(false);
});

test('a stream of the page before a reload, which the browser kept reading for 3 s, is not a leak; one opened after it is', () => {
  // The user views a, streaming on socket 1; at 1000 they reload, and the new page reattaches on socket 2 at 1400.
  // The server saw socket 1 end only when the answer finished, at 4100 (Chromium drained the old response).
  const reload = (extra: TimelineEvent[] = []): TimelineEvent[] =>
    [
      { kind: 'run-start', t: 0, streamId: 'run-A', session: 'A', script: 'long' } as TimelineEvent,
      { kind: 'view', t: 0, session: 'A', alias: 'a' } as TimelineEvent,
      open(10, 1, 'A'),
      { kind: 'page-unload', t: 1000, how: 'reload' } as TimelineEvent,
      open(1400, 2, 'A'),
      ...extra,
      close(4100, 1, 'A'),
      close(4100, 2, 'A'),
      { kind: 'run-end', t: 4100, streamId: 'run-A', session: 'A', reason: 'complete' } as TimelineEvent,
    ].sort((x, y) => x.t - y.t);
  const v = liveStreamsOracle(record(reload(), 5000), { graceMs: 750 });
  expect(v.pass, v.summary).toBe(true);
  // Without the unload the same server timeline is a leak.
  expect(
    liveStreamsOracle(
      record(
        reload().filter((e) => e.kind !== 'page-unload'),
        5000,
      ),
      { graceMs: 750 },
    ).pass,
  ).toBe(false);
  // The reloaded page opening a second stream of its own is still one.
  expect(liveStreamsOracle(record(reload([open(1500, 3, 'A')]), 5000), { graceMs: 750 }).pass).toBe(false);
});

test('text sampled from the old page while a reload is under way does not count as vanished text; after it, it does', () => {
  const text = (t: number, length: number): TimelineEvent => ({
    kind: 'text',
    t,
    session: 'A',
    length,
    scripted: 100,
    prefixOk: true,
  });
  const step = (kind: 'step-start' | 'step-end', t: number): TimelineEvent =>
    kind === 'step-start'
      ? { kind, t, index: 1, path: 'steps[1]', step: 'reload' }
      : { kind, t, index: 1, path: 'steps[1]', step: 'reload', ok: true };
  const base: TimelineEvent[] = [
    { kind: 'run-start', t: 0, streamId: 'run-a', session: 'A', script: 'long' },
    text(100, 40),
    step('step-start', 200),
    text(210, 60),
    text(400, 0),
    step('step-end', 500),
    text(600, 70),
  ];
  expect(transcriptOracle(record([...base, text(700, 100)], 800), {}).pass).toBe(true);
  // Shrunk, and the next read has not got back to what was shown: the text vanished.
  const v = transcriptOracle(record([...base, text(700, 10), text(800, 30), text(900, 100)], 1000), {});
  expect(v.pass).toBe(false);
  expect(v.definite).toBe(true);
  expect(v.summary).toBe('session a: shown answer shrank from 70 to 10 chars (already-rendered text vanished)');
  expect(v.t).toBe(700);
});

test('one contradicting read is never judged on its own: a frame in transition is noted, a confirmed one fails', () => {
  // The user switches from b to a at 1000; the UI names a at once, but its pane shows b's longer text for one read.
  const a = (t: number, length: number, prefixOk = true): TimelineEvent => ({
    kind: 'text',
    t,
    session: 'A',
    length,
    scripted: 2000,
    prefixOk,
  });
  const base: TimelineEvent[] = [
    { kind: 'run-start', t: 0, streamId: 'run-a', session: 'A', script: 'long' },
    a(100, 300),
    { kind: 'step-start', t: 1000, index: 5, path: 'steps[5]', step: 'switchTo', detail: 'a' },
    { kind: 'view', t: 1000, session: 'A', alias: 'a', shown: 1050 },
    a(1050, 1500, false),
  ];
  const transition = transcriptOracle(record([...base, a(1250, 420), a(1450, 2000)], 1500), {});
  expect(transition.pass, transition.summary).toBe(true);
  expect(transition.summary).toMatch(/; 1 frame in transition not judged$/);
  expect(transition.evidence.notJudgedFrames).toEqual([
    { t: 1050, session: 'a', length: 1500, step: 'steps[5] switchTo a' },
  ]);
  // Judged mid-run, before any later read: not a failure yet, and nothing definite.
  const midRun = transcriptOracle(record(base, 1100), { final: false });
  expect(midRun.pass).toBe(true);
  expect(midRun.evidence.unconfirmedFrames).toHaveLength(1);
  // The next read still shows text that is not a's: confirmed, dated from the first.
  const confirmed = transcriptOracle(record([...base, a(1250, 1540, false), a(1450, 2000)], 1500), {});
  expect(confirmed.pass).toBe(false);
  expect(confirmed.definite).toBe(true);
  expect(confirmed.t).toBe(1050);
  expect(confirmed.evidence.confirmedAfterMs).toBe(200);
});

test('a socket the browser still reads after the page closed it is no witness disagreement; one the page never closed is', () => {
  // Server 2 open, one of them closed by the page (Chromium draining it): page and CDP rightly see 1.
  expect(
    crossCheck({ server: 2, serverDraining: 1, page: 1, pageConnecting: 0, cdp: 1, cdpQueued: 0, cdpObjects: 1 }),
  ).toBeNull();
  // The same counts without the page's close(): the server sees a stream the page does not hold.
  expect(crossCheck({ server: 2, page: 1, pageConnecting: 0, cdp: 1, cdpQueued: 0 })?.summary).toBe(
    'witnesses disagree on open chat streams: server 2, page 1, CDP network 1',
  );
  // And a page that still holds what it "closed" disagrees, naming the drain.
  expect(crossCheck({ server: 2, serverDraining: 1, page: 2, pageConnecting: 0 })?.summary).toBe(
    'witnesses disagree on open chat streams: server 2 (1 already let go of by the page), page 2',
  );
});

/**
 * The user returns to streaming chat a at t=1000 (switchTo step 1000-1100); its run ends at runEndsAt (hurried by
 * settle: fast, or simply over). reopenAt/grewAt: when the UI reopened a's stream and rendered new tokens, if it did.
 */
function returnAt1000(opts: { runEndsAt: number; reopenAt?: number; grewAt?: number }): TimelineEvent[] {
  const events: TimelineEvent[] = [
    { kind: 'run-start', t: 0, streamId: 'run-a', session: 'A', script: 'long' },
    { kind: 'view', t: 0, session: 'A', alias: 'a' },
    open(10, 1, 'A'),
    { kind: 'text', t: 400, session: 'A', length: 100, scripted: 5000, prefixOk: true },
    close(500, 1, 'A'),
    { kind: 'view', t: 500, session: 'B', alias: 'b' },
    { kind: 'step-start', t: 1000, index: 7, path: 'steps[7]', step: 'switchTo', detail: 'a' },
    { kind: 'view', t: 1000, session: 'A', alias: 'a', shown: 1100 },
    { kind: 'step-end', t: 1100, index: 7, path: 'steps[7]', step: 'switchTo', ok: true },
  ];
  if (opts.reopenAt !== undefined) events.push(open(opts.reopenAt, 2, 'A'));
  if (opts.grewAt !== undefined)
    events.push({ kind: 'text', t: opts.grewAt, session: 'A', length: 400, scripted: 5000, prefixOk: true });
  events.push({ kind: 'run-end', t: opts.runEndsAt, streamId: 'run-a', session: 'A', reason: 'complete' });
  return events.sort((x, y) => x.t - y.t);
}

test('a return proven (stream reopened, new tokens rendered) before its run was hurried to the end is judged, and passes', () => {
  const v = reattachOracle(record(returnAt1000({ reopenAt: 1200, grewAt: 1400, runEndsAt: 1500 }), 2000), {
    withinMs: 3000,
  });
  expect(v.pass, v.summary).toBe(true);
  expect(v.summary).toMatch(/^1 return: stream reattached and new tokens rendered, slowest 400 ms/);
});

test('a run that ended before the return was proven is not judged: neither a pass nor a missed reattach', () => {
  // Reopened, but the run ended before any new token rendered: the growth may be the end's replay, not a live stream.
  const ended = reattachOracle(record(returnAt1000({ reopenAt: 1200, grewAt: 1600, runEndsAt: 1500 }), 5000), {
    withinMs: 3000,
  });
  expect(ended.pass).toBe(false);
  expect(ended.summary).toMatch(/^nothing to judge/);
  // No reattach and the run ended inside the window: the UI had no live stream to reattach to.
  const short = reattachOracle(record(returnAt1000({ runEndsAt: 2000 }), 5000), { withinMs: 3000 });
  expect(short.summary).toMatch(/^nothing to judge/);
});

test('no reattach while the run kept streaming through the whole window is a definite failure', () => {
  const v = reattachOracle(record(returnAt1000({ runEndsAt: 9000 }), 4500), { withinMs: 3000 });
  expect(v.pass).toBe(false);
  expect(v.definite).toBe(true);
  expect(v.summary).toBe('returned to streaming session a: no new stream opened within 3000 ms');
  // Judged mid-run before the window is over, the same timeline is not yet definite.
  expect(reattachOracle(record(returnAt1000({ runEndsAt: 9000 }), 3500), { withinMs: 3000 }).definite).toBe(false);
});

test('an unlock is judged by the same rule: proven, then hurried, passes the recovery check', () => {
  const events = returnAt1000({ reopenAt: 1200, grewAt: 1400, runEndsAt: 1500 }).map((e) =>
    e.kind === 'step-start' || e.kind === 'step-end' ? { ...e, step: 'unlock', detail: undefined } : e,
  );
  events.push({ kind: 'text', t: 1800, session: 'A', length: 5000, scripted: 5000, prefixOk: true });
  const v = lockRecoveryOracle(record(events, 2000), { withinMs: 4000 });
  expect(v.pass, v.summary).toBe(true);
});

test('a recovery window the user cut short by leaving is not judged, with the reason; one proven before leaving is', () => {
  // Unlock a at 1000-1100, the user switches to b right after: nothing can be said of a's recovery.
  const unlockThenLeave = (reopenAt?: number, grewAt?: number) => {
    const events = returnAt1000({ runEndsAt: 9000, reopenAt, grewAt }).map((e) =>
      e.kind === 'step-start' || e.kind === 'step-end' ? { ...e, step: 'unlock', detail: undefined } : e,
    );
    events.push(
      { kind: 'view', t: 1156, session: 'B', alias: 'b', shown: 1200 },
      { kind: 'view', t: 9100, session: 'A', alias: 'a', shown: 9200 },
    );
    events.push({ kind: 'text', t: 9300, session: 'A', length: 5000, scripted: 5000, prefixOk: true });
    return events.sort((x, y) => x.t - y.t);
  };
  const left = lockRecoveryOracle(record(unlockThenLeave(), 9500), { withinMs: 4000 });
  expect(left.pass, left.summary).toBe(true);
  expect(left.notJudged).toBe('the user left session a 156 ms after the unlock, before the 4000 ms window ended');
  expect(left.summary).toMatch(/^not judged: the user left session a 156 ms after the unlock/);
  // Staying through the window with nothing reattached is still a failure.
  const stayed = lockRecoveryOracle(
    record(
      returnAt1000({ runEndsAt: 9000 }).map((e) =>
        e.kind === 'step-start' || e.kind === 'step-end' ? { ...e, step: 'unlock', detail: undefined } : e,
      ),
      9500,
    ),
    { withinMs: 4000 },
  );
  expect(stayed.pass).toBe(false);
  // Reattached and grew before the user left: judged, and it passes on its merits.
  const proven = reattachOracle(
    record(
      unlockThenLeave(1020, 1040).map((e) =>
        e.kind === 'step-start' || e.kind === 'step-end' ? { ...e, step: 'switchTo', detail: 'a' } : e,
      ),
      9500,
    ),
    { withinMs: 3000 },
  );
  expect(proven.pass, proven.summary).toBe(true);
  expect(proven.notJudged).toBeUndefined();
});

test("a live answer's trailing space that renders without it is not vanished text; a lost word is", () => {
  const script = 'lorem0 ipsum1 dolor2 sit3 amet4 ';
  const a = (t: number, length: number): TimelineEvent => ({
    kind: 'text',
    t,
    session: 'A',
    length,
    scripted: script.length,
    prefixOk: true,
  });
  const run = (texts: TimelineEvent[]) => {
    const r = record([{ kind: 'run-start', t: 0, streamId: 'run-a', session: 'A', script: 'long' }, ...texts], 2000);
    r.scripted = { A: script };
    return transcriptOracle(r, { final: false });
  };
  // "lorem0 ipsum1 " then "lorem0 ipsum1" twice: the same words.
  expect(run([a(100, 14), a(300, 13), a(500, 13)]).pass).toBe(true);
  // "lorem0 ipsum1 dolor2 " then "lorem0 ipsum1" twice: a word vanished.
  const lost = run([a(100, 21), a(300, 13), a(500, 13)]);
  expect(lost.pass).toBe(false);
  expect(lost.summary).toMatch(/^session a: shown answer shrank from 20 to 13 chars/);
});

test('a stream the UI already holds open when the user comes back counts as attached; new tokens must still render', () => {
  // a's stream was never closed (or reopened while the page was hidden): open at the return, 1000.
  const held = (grewAt?: number) => {
    const events = returnAt1000({ runEndsAt: 9000, grewAt }).filter((e) => !(e.kind === 'sse-close' && e.socket === 1));
    return reattachOracle(record(events, 9500), { withinMs: 3000 });
  };
  const grew = held(1400);
  expect(grew.pass, grew.summary).toBe(true);
  expect((grew.evidence.checks as { sseOpenAfterMs: number }[])[0]!.sseOpenAfterMs).toBe(0);
  const stuck = held();
  expect(stuck.pass).toBe(false);
  expect(stuck.summary).toBe(
    'returned to streaming session a: a stream reopened after 0 ms but no new tokens rendered (stuck at 100 chars) within 3000 ms',
  );
});

test('a return is timed from the click that took, not from one the page never acted on', () => {
  // The first click at 1000 did nothing; the runner clicked again at 4000, and the stream came back 200 ms later.
  const events = returnAt1000({ runEndsAt: 9000, reopenAt: 4200, grewAt: 4400 }).map((e) =>
    e.kind === 'step-end' ? { ...e, t: 4300 } : e,
  );
  events.push({ kind: 'note', t: 4000, message: 'switchTo a: the click did not switch within 3 s, clicking again' });
  const v = reattachOracle(
    record(
      events.sort((x, y) => x.t - y.t),
      9500,
    ),
    { withinMs: 3000 },
  );
  expect(v.pass, v.summary).toBe(true);
  expect(v.summary).toMatch(/slowest 400 ms/);
});

test('growth per cycle: a handover overlap of a few ms is not growth; a stream left per cycle is', () => {
  const cycles = [
    { path: 'steps[2]', start: 0, end: 1000 },
    { path: 'steps[2]', start: 1000, end: 2000 },
    { path: 'steps[2]', start: 2000, end: 3000 },
  ];
  const base = (closes: boolean): TimelineEvent[] => [
    { kind: 'run-start', t: 0, streamId: 'run-A', session: 'A', script: 'long' },
    { kind: 'run-start', t: 0, streamId: 'run-B', session: 'B', script: 'long' },
    { kind: 'view', t: 0, session: 'A', alias: 'a', shown: 5 },
    open(10, 1, 'A'),
    { kind: 'view', t: 1100, session: 'B', alias: 'b', shown: 1105 },
    open(1100, 2, 'B'),
    ...(closes ? [close(1120, 1, 'A')] : []),
    { kind: 'view', t: 2100, session: 'A', alias: 'a', shown: 2105 },
    open(2100, 3, 'A'),
    ...(closes ? [close(2130, 2, 'B')] : []),
  ];
  const handover = liveStreamsOracle({ ...record(base(true), 3000), cycles }, { graceMs: 750 });
  expect(handover.pass, handover.summary).toBe(true);
  const leak = liveStreamsOracle({ ...record(base(false), 3000), cycles }, { graceMs: 750 });
  expect(leak.pass).toBe(false);
});
