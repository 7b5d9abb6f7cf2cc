// Oracles on turns: a message the user sent once reaches the server once, and a stop ends the answer's stream. UIs
// that read fetch streams own the request that starts a turn, so a visibility handler or a reconnect path that runs
// it again sends the message twice (the server starts a second answer, or refuses one it already runs).
import type { TimelineEvent } from '../timeline.ts';
import { viewedAt } from '../timeline-queries.ts';
import { stepAt, type Oracle, type RunRecord } from './types.ts';

export const STOP_DEFAULTS = { withinMs: 2000 } as const;

const aliasIn = (run: RunRecord) => (id: string) => Object.entries(run.sessions).find(([, s]) => s === id)?.[0] ?? id;

export const oneRequestPerTurnOracle: Oracle<Record<string, never>> = (run) => {
  const events = run.timeline.ordered();
  const alias = aliasIn(run);
  const sent = new Map<string, number>();
  const asked = new Map<string, number>();
  const extra: { t: number; session: string; path: string; status: number; step?: string }[] = [];
  let requests = 0;
  for (const e of events) {
    if (e.kind === 'turn-sent') sent.set(e.session, (sent.get(e.session) ?? 0) + 1);
    if (e.kind !== 'turn-request') continue;
    requests++;
    const session = e.session ?? viewedAt(events, e.t) ?? '(none)';
    const n = (asked.get(session) ?? 0) + 1;
    asked.set(session, n);
    if (n > (sent.get(session) ?? 0))
      extra.push({ t: e.t, session: alias(session), path: e.path, status: e.status, step: stepAt(events, e.t) });
  }
  const messages = [...sent.values()].reduce((a, b) => a + b, 0);
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (extra.length) {
    const first = extra[0]!;
    return {
      oracle: 'oneRequestPerTurn',
      pass: false,
      summary: `session ${first.session}: a turn was requested again at ${(first.t / 1000).toFixed(1)} s (${first.path}, answered ${first.status}); ${requests} turn requests for ${plural(messages, 'message')} sent`,
      step: first.step,
      t: first.t,
      // A request that went out stays sent.
      definite: true,
      evidence: { messages, requests, extra },
    };
  }
  return {
    oracle: 'oneRequestPerTurn',
    pass: true,
    summary: `${plural(messages, 'message')} sent, ${plural(requests, 'turn request')} at the server`,
    evidence: { messages, requests, extra: [] },
  };
};

export interface StopConfig {
  withinMs?: number;
}

export const stopEndsStreamOracle: Oracle<StopConfig> = (run, config) => {
  const within = config.withinMs ?? STOP_DEFAULTS.withinMs;
  const events = run.timeline.ordered();
  const alias = aliasIn(run);
  // A stop step that failed (the UI offered nothing to press) is no stop the user made.
  const notTaken = new Set(
    events.flatMap((e) => (e.kind === 'step-end' && e.step === 'stop' && !e.ok ? [e.index] : [])),
  );
  const stops = events.filter((e) => e.kind === 'step-start' && e.step === 'stop' && !notTaken.has(e.index));
  if (!stops.length)
    return {
      oracle: 'stopEndsStream',
      pass: true,
      summary: notTaken.size ? 'no stop step was taken' : 'no stop step in this run',
      notJudged: notTaken.size
        ? 'every stop step failed: the UI offered nothing to press, so no stop can be judged'
        : 'the scenario has no stop step',
      evidence: { stops: 0, withinMs: within },
    };
  const judged: { t: number; session: string; open: number[]; endedBySelf: boolean }[] = [];
  for (const stop of stops) {
    const session = viewedAt(events, stop.t);
    if (!session) continue;
    const deadline = Math.min(stop.t + within, run.endedAt);
    const closedAt = new Map<number, number>();
    for (const e of events) if (e.kind === 'sse-close') closedAt.set(e.socket, e.t);
    const sockets = events.filter(
      (e): e is Extract<TimelineEvent, { kind: 'sse-open' }> =>
        e.kind === 'sse-open' && e.session === session && e.streamId !== null && e.t <= deadline,
    );
    const liveAtStop = sockets.filter((o) => o.t <= stop.t && (closedAt.get(o.socket) ?? Infinity) > stop.t);
    const openAtDeadline = sockets.filter((o) => (closedAt.get(o.socket) ?? Infinity) > deadline);
    // The answer finishing on its own inside the window closes its stream whatever the stop did.
    const endedBySelf = events.some(
      (e) =>
        e.kind === 'run-end' && e.session === session && e.reason === 'complete' && e.t >= stop.t && e.t <= deadline,
    );
    if (!liveAtStop.length && !openAtDeadline.length) continue;
    judged.push({ t: stop.t, session, open: openAtDeadline.map((o) => o.socket), endedBySelf });
  }
  const failed = judged.find((j) => j.open.length && !j.endedBySelf);
  const evidence = {
    withinMs: within,
    stops: stops.length,
    judged: judged.map((j) => ({ ...j, session: alias(j.session), step: stepAt(events, j.t) })),
  };
  if (failed)
    return {
      oracle: 'stopEndsStream',
      pass: false,
      summary: `session ${alias(failed.session)}: ${failed.open.length} stream${failed.open.length === 1 ? '' : 's'} still open at the server ${(within / 1000).toFixed(1)} s after stop`,
      step: stepAt(events, failed.t),
      t: failed.t,
      // Judged while the run goes on (a matrix run's early stop), a window not yet over may still see the close.
      definite: run.endedAt >= failed.t + within,
      evidence,
    };
  const fair = judged.filter((j) => !j.endedBySelf);
  if (!fair.length)
    return {
      oracle: 'stopEndsStream',
      pass: true,
      summary: 'nothing was streaming at a stop, or the answer ended by itself',
      notJudged: judged.length
        ? 'every stopped answer finished by itself within the window, so whether stop ended it cannot be told'
        : 'no stream of the viewed session was open at any stop',
      evidence,
    };
  return {
    oracle: 'stopEndsStream',
    pass: true,
    summary: `${fair.length} stop${fair.length === 1 ? '' : 's'}: every stopped stream closed at the server within ${(within / 1000).toFixed(1)} s`,
    evidence,
  };
};
