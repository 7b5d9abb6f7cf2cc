// The turn oracles on hand-built timelines: a message requested twice is a finding (even one the server refused),
// a request naming no session counts for the viewed one; a stop must close the stopped session's streams.
import { expect, test } from '@playwright/test';
import { oneRequestPerTurnOracle, stopEndsStreamOracle } from '../harness/oracles/turns.ts';
import type { TimelineEvent } from '../harness/timeline.ts';
import { runRecord, sseClose, sseOpen } from './support/timeline-events.ts';

const record = (events: TimelineEvent[], endedAt = 10_000) => runRecord(events, endedAt);
const step = (t: number, name: string): TimelineEvent => ({
  kind: 'step-start',
  t,
  index: 0,
  path: 'steps[0]',
  step: name,
});
const request = (t: number, session: string | null, status = 200): TimelineEvent => ({
  kind: 'turn-request',
  t,
  session,
  path: '/api/chat',
  status,
});
const open = (t: number, socket: number, session: string) => sseOpen(t, socket, session, '/api/chat');
const close = sseClose;

test.describe('oneRequestPerTurn', () => {
  test('one request per message sent passes, in several sessions', () => {
    const v = oneRequestPerTurnOracle(
      record([
        { kind: 'turn-sent', t: 100, session: 'A' },
        request(120, 'A'),
        { kind: 'turn-sent', t: 500, session: 'B' },
        request(520, 'B'),
        { kind: 'turn-sent', t: 900, session: 'A' },
        request(920, 'A'),
      ]),
      {},
    );
    expect(v.pass, v.summary).toBe(true);
    expect(v.summary).toBe('3 messages sent, 3 turn requests at the server');
  });

  test('a request sent again on foreground fails, even when the server refused it', () => {
    const v = oneRequestPerTurnOracle(
      record([
        { kind: 'view', t: 0, session: 'A', alias: 'a' },
        { kind: 'turn-sent', t: 100, session: 'A' },
        request(120, 'A'),
        step(2000, 'foreground'),
        request(2050, null, 409),
      ]),
      {},
    );
    expect(v.pass).toBe(false);
    expect(v.definite).toBe(true);
    expect(v.step).toContain('foreground');
    expect(v.summary).toContain(
      'session a: a turn was requested again at 2.0 s (/api/chat, answered 409); 2 turn requests for 1 message sent',
    );
  });
});

test.describe('stopEndsStream', () => {
  const base: TimelineEvent[] = [
    { kind: 'view', t: 0, session: 'A', alias: 'a' },
    { kind: 'run-start', t: 100, streamId: 'run-A', session: 'A', script: 'long' },
    open(110, 1, 'A'),
    step(1000, 'stop'),
  ];

  test('a stream closed soon after stop passes', () => {
    const v = stopEndsStreamOracle(record([...base, close(1200, 1, 'A')]), {});
    expect(v.pass, v.summary).toBe(true);
    expect(v.notJudged).toBeUndefined();
  });

  test('a stream still open past the deadline fails', () => {
    const v = stopEndsStreamOracle(record([...base, close(3500, 1, 'A')]), {});
    expect(v.pass).toBe(false);
    expect(v.summary).toBe('session a: 1 stream still open at the server 2.0 s after stop');
    expect(stopEndsStreamOracle(record([...base, close(3500, 1, 'A')]), { withinMs: 3000 }).pass).toBe(true);
  });

  test('judged before the window is over, a stream still open is no definite failure yet', () => {
    // As a run judges itself while it goes on: the stop was 10 ms ago and the close is still on its way.
    const early = stopEndsStreamOracle(record(base, 1010), {});
    expect(early.pass).toBe(false);
    expect(early.definite).toBe(false);
    expect(stopEndsStreamOracle(record(base, 3000), {}).definite).toBe(true);
  });

  test('a stream reopened for the stopped session inside the window fails', () => {
    const v = stopEndsStreamOracle(record([...base, close(1100, 1, 'A'), open(1500, 2, 'A')]), {});
    expect(v.pass).toBe(false);
  });

  test('an answer that ended by itself inside the window is not judged', () => {
    const v = stopEndsStreamOracle(
      record([
        ...base,
        { kind: 'run-end', t: 1100, streamId: 'run-A', session: 'A', reason: 'complete' },
        close(1100, 1, 'A'),
      ]),
      {},
    );
    expect(v.pass).toBe(true);
    expect(v.notJudged).toContain('finished by itself');
  });

  test('a stop step that failed (nothing to press) is not judged, though the stream stayed open', () => {
    const notTaken: TimelineEvent = {
      kind: 'step-end',
      t: 1100,
      index: 0,
      path: 'steps[0]',
      step: 'stop',
      ok: false,
      error: 'no Stop button',
    };
    const v = stopEndsStreamOracle(record([...base, notTaken]), {});
    expect(v.pass).toBe(true);
    expect(v.notJudged).toContain('every stop step failed');
  });

  test('no stop step: not judged', () => {
    expect(stopEndsStreamOracle(record(base.slice(0, 3)), {}).notJudged).toBe('the scenario has no stop step');
  });
});
