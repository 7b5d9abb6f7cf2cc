// reconnectRateOracle: chat-stream opens the user did not cause, per session, stay under a rate budget. A UI that
// reopens its stream on its own again and again (a reconnect storm: every closed response, every quiet second)
// loads the server and the browser's connection pool while nothing on screen changes.
import type { TimelineEvent } from '../timeline.ts';
import { stepAt, type Oracle } from './types.ts';

export interface ReconnectRateConfig {
  maxPerMinute?: number;
  minWindowMs?: number;
}

export const RECONNECT_RATE_DEFAULTS = { maxPerMinute: 6, minWindowMs: 10_000 } as const;

/** Steps after which any session's stream may rightly be opened again: the page loaded or came back. */
const PAGE_CAUSES = new Set(['open', 'reload', 'unlock', 'online', 'foreground', 'unfreeze']);

export interface UncausedOpen {
  t: number;
  socket: number;
  streamId: string | null;
  afterSeq: number;
}

/**
 * Per session, the stream opens nothing the user did explains: an open is caused when, since the session's previous
 * open, the user sent in it (its run started), turned to it (a view of it), or the page loaded or came back (open,
 * reload, unlock, online, foreground, unfreeze). The first open after a cause is the UI answering it; every other one
 * is the UI's own doing: a reconnect after a drop, or a storm. Events in time order.
 */
export function uncausedOpens(events: TimelineEvent[]): { bySession: Map<string, UncausedOpen[]>; caused: number } {
  const bySession = new Map<string, UncausedOpen[]>();
  /** Per session, whether a cause came after its last open. */
  const armed = new Map<string, boolean>();
  let caused = 0;
  /** A page-level cause before a session's first open counts for it too. */
  let pageCause = false;
  const armAll = () => {
    for (const s of armed.keys()) armed.set(s, true);
    pageCause = true;
  };
  for (const e of events) {
    if (e.kind === 'run-start') armed.set(e.session, true);
    else if (e.kind === 'view' && e.session) armed.set(e.session, true);
    else if (e.kind === 'step-start' && PAGE_CAUSES.has(e.step)) armAll();
    else if (e.kind === 'sse-open' && e.session) {
      if (armed.get(e.session) ?? pageCause) caused++;
      else
        bySession.set(e.session, [
          ...(bySession.get(e.session) ?? []),
          { t: e.t, socket: e.socket, streamId: e.streamId, afterSeq: e.afterSeq },
        ]);
      armed.set(e.session, false);
    }
  }
  return { bySession, caused };
}

/**
 * The highest rate among a session's uncaused opens: over every run of two or more of them, their count divided by
 * their time span, the span counted as at least minWindowMs (so a lone reconnect, or two far apart, stay small).
 */
export function worstRate(
  opens: UncausedOpen[],
  minWindowMs: number,
): { perMinute: number; from: number; to: number; count: number } | null {
  let worst: { perMinute: number; from: number; to: number; count: number } | null = null;
  for (let i = 0; i < opens.length; i++) {
    for (let j = i + 1; j < opens.length; j++) {
      const count = j - i + 1;
      const perMinute = (count * 60_000) / Math.max(opens[j]!.t - opens[i]!.t, minWindowMs);
      if (!worst || perMinute > worst.perMinute) worst = { perMinute, from: opens[i]!.t, to: opens[j]!.t, count };
    }
  }
  return worst;
}

export const reconnectRateOracle: Oracle<ReconnectRateConfig> = (run, config) => {
  const max = config.maxPerMinute ?? RECONNECT_RATE_DEFAULTS.maxPerMinute;
  const minWindowMs = config.minWindowMs ?? RECONNECT_RATE_DEFAULTS.minWindowMs;
  const events = run.timeline.ordered();
  const { bySession, caused } = uncausedOpens(events);
  const aliasOf = (id: string) => Object.entries(run.sessions).find(([, s]) => s === id)?.[0] ?? id;
  const budget = { maxPerMinute: max, minWindowMs };
  let worst: { session: string; perMinute: number; from: number; to: number; count: number } | null = null;
  for (const [session, opens] of bySession) {
    const w = worstRate(opens, minWindowMs);
    if (w && (!worst || w.perMinute > worst.perMinute)) worst = { session, ...w };
  }
  const uncaused = [...bySession.values()].reduce((n, o) => n + o.length, 0);
  const rate = (n: number) => (n >= 10 ? Math.round(n) : Math.round(n * 10) / 10);
  if (worst && worst.perMinute > max) {
    const opens = bySession.get(worst.session)!.filter((o) => o.t >= worst.from && o.t <= worst.to);
    const span = worst.to - worst.from;
    return {
      oracle: 'reconnectRate',
      pass: false,
      summary: `session ${aliasOf(worst.session)}: ${worst.count} stream opens the user did not cause within ${(span / 1000).toFixed(1)} s (${rate(worst.perMinute)}/min; budget ${max}/min, measured over at least ${minWindowMs / 1000} s)`,
      step: stepAt(events, worst.from),
      t: worst.from,
      // Opens that happened stay happened: nothing later in the run can take them back.
      definite: true,
      evidence: {
        session: aliasOf(worst.session),
        opens: opens.map((o) => ({ ...o, step: stepAt(events, o.t) })),
        spanMs: span,
        perMinute: rate(worst.perMinute),
        ...budget,
        uncausedBySession: Object.fromEntries([...bySession].map(([s, o]) => [aliasOf(s), o.length])),
        caused,
      },
    };
  }
  return {
    oracle: 'reconnectRate',
    pass: true,
    summary: `${caused + uncaused} chat-stream opens, ${uncaused} not caused by the user${worst ? `, at most ${rate(worst.perMinute)}/min` : ''} (budget ${max}/min, measured over at least ${minWindowMs / 1000} s)`,
    evidence: { caused, uncaused, worstPerMinute: worst ? rate(worst.perMinute) : 0, ...budget },
  };
};
