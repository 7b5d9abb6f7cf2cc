// Oracles about the page's own work: request budgets while hidden, and main-thread stalls while streaming.
import type { TimelineEvent } from '../timeline.ts';
import { stepAt, type Oracle } from './types.ts';

/** Streams are not polling: a held-open SSE request is judged by the stream oracles. */
const isPoll = (path: string) =>
  path.startsWith('/api/') && !path.startsWith('/api/chat/stream') && !path.endsWith('/events');

export function hiddenIntervals(events: TimelineEvent[], end: number): [number, number][] {
  const out: [number, number][] = [];
  let start: number | null = null;
  for (const e of events) {
    // A tab sent to the background by a switch to another tab of the app: the user still has the app in front.
    if (e.kind !== 'visibility' || e.tab !== undefined) continue;
    if (e.hidden && start === null) start = e.t;
    if (!e.hidden && start !== null) {
      out.push([start, e.t]);
      start = null;
    }
  }
  if (start !== null) out.push([start, end]);
  return out;
}

export const hiddenPollingOracle: Oracle<{
  maxPerEndpoint?: number;
  endpoints?: Record<string, number>;
  graceMs?: number;
}> = (run, config) => {
  const grace = config.graceMs ?? 300;
  const events = run.timeline.ordered();
  const windows = hiddenIntervals(events, run.endedAt)
    .map(([a, b]) => [a + grace, b] as const)
    .filter(([a, b]) => b > a);
  const inWindow = (t: number) => windows.some(([a, b]) => t >= a && t <= b);
  const server: Record<string, number> = {};
  const page: Record<string, number> = {};
  let first: { t: number; path: string } | undefined;
  for (const e of events) {
    if (e.kind === 'request' && isPoll(e.path) && inWindow(e.t)) {
      server[e.path] = (server[e.path] ?? 0) + 1;
      first ??= { t: e.t, path: e.path };
    }
    if (e.kind === 'hidden-request' && isPoll(e.path) && inWindow(e.t)) page[e.path] = (page[e.path] ?? 0) + 1;
  }
  const hiddenMs = windows.reduce((s, [a, b]) => s + (b - a), 0);
  const budget = (path: string) => config.endpoints?.[path] ?? config.maxPerEndpoint ?? 0;
  const over = Object.entries(server).filter(([p, n]) => n > budget(p));
  const evidence = { hiddenMs, graceMs: grace, serverCounts: server, pageCounts: page, windows };
  if (!windows.length)
    return {
      oracle: 'hiddenPolling',
      pass: false,
      summary: 'nothing to judge: the page was never hidden (add a background or lock step)',
      evidence,
    };
  if (over.length) {
    return {
      oracle: 'hiddenPolling',
      pass: false,
      summary: `while hidden for ${hiddenMs} ms the page polled ${over.map(([p, n]) => `${p} ×${n} (budget ${budget(p)})`).join(', ')}`,
      step: first && stepAt(events, first.t),
      t: first?.t,
      definite: true,
      evidence,
    };
  }
  return {
    oracle: 'hiddenPolling',
    pass: true,
    summary: `hidden for ${hiddenMs} ms: ${
      Object.keys(server).length
        ? Object.entries(server)
            .map(([p, n]) => `${p} ×${n}`)
            .join(', ')
        : 'no polling requests'
    }, within budget`,
    evidence,
  };
};

export const stallBudgetOracle: Oracle<{ longestMs?: number; totalBlockedMs?: number }> = (run, config) => {
  const longestBudget = config.longestMs ?? 500;
  const totalBudget = config.totalBlockedMs ?? 2000;
  const events = run.timeline.ordered();
  // Stalls the harness caused itself (a CDP heap census holds the main thread) are not the page's.
  const pauses = events.filter((e): e is Extract<TimelineEvent, { kind: 'probe-pause' }> => e.kind === 'probe-pause');
  const ours = (s: { t: number; duration: number }) =>
    pauses.some((p) => s.t < p.t + p.duration + 20 && s.t + s.duration > p.t - 20);
  // Judged while streaming (a scripted answer playing at the backend): page boot and idle time are not the budget's.
  // A page that lags behind renders the stream long after the server sent its last event: the window lasts until
  // the session's shown text last changed.
  // One that never finished rendering it (hung, or still behind at the end) was streaming until the run ended.
  const lastText = new Map<string, number>();
  const rendered = new Map<string, boolean>();
  for (const e of events) {
    if (e.kind !== 'text') continue;
    lastText.set(e.session, e.t);
    rendered.set(e.session, e.length >= e.scripted);
  }
  const streaming: [number, number][] = [];
  const started = new Map<string, { t: number; session: string }>();
  for (const e of events) {
    if (e.kind === 'run-start') started.set(e.streamId, { t: e.t, session: e.session });
    if (e.kind === 'run-end' && started.has(e.streamId)) {
      const s = started.get(e.streamId)!;
      streaming.push([s.t, rendered.get(s.session) ? Math.max(e.t, lastText.get(s.session) ?? 0) : run.endedAt]);
      started.delete(e.streamId);
    }
  }
  for (const s of started.values()) streaming.push([s.t, run.endedAt]);
  const whileStreaming = (s: { t: number; duration: number }) =>
    streaming.some(([a, b]) => s.t < b && s.t + s.duration > a);
  const all = events.filter((e): e is Extract<TimelineEvent, { kind: 'stall' }> => e.kind === 'stall');
  const stalls = all.filter((s) => !ours(s) && whileStreaming(s));
  // Long tasks are exact where the browser reports them (the page's LoAF/longtask observer first, the CDP probe's
  // copy of the same entries otherwise, never both); where there are none the heartbeat watchdog stands in.
  const pageTasks = stalls.filter((s) => s.source === 'longtask' || s.source === 'loaf');
  const cdpTasks = stalls.filter((s) => s.source === 'cdp');
  const tasks = pageTasks.length ? pageTasks : cdpTasks;
  // A page that did not answer the driver at all (source 'unresponsive') was blocked for that whole window.
  const unanswered = stalls.filter((s) => s.source === 'unresponsive');
  const basis = [...(tasks.length ? tasks : stalls.filter((s) => s.source === 'heartbeat')), ...unanswered];
  const total = basis.reduce((s, e) => s + Math.max(0, e.duration - 50), 0);
  const worst = stalls.reduce<(typeof stalls)[number] | undefined>(
    (w, s) => (!w || s.duration > w.duration ? s : w),
    undefined,
  );
  const bySource: Record<string, { count: number; longest: number }> = {};
  for (const s of stalls) {
    const b = (bySource[s.source] ??= { count: 0, longest: 0 });
    b.count++;
    b.longest = Math.max(b.longest, s.duration);
  }
  const evidence = {
    longestMs: worst?.duration ?? 0,
    totalBlockedMs: total,
    budget: { longestMs: longestBudget, totalBlockedMs: totalBudget },
    bySource,
    basis: pageTasks.length ? 'page long tasks' : cdpTasks.length ? 'CDP long tasks' : 'heartbeat',
    excludedProbePauses: all.filter(ours).length,
    outsideStreaming: all.filter((s) => !whileStreaming(s)).length,
  };
  if ((worst?.duration ?? 0) > longestBudget || total > totalBudget) {
    return {
      oracle: 'stallBudget',
      pass: false,
      summary: `main thread stalled ${worst?.duration ?? 0} ms at worst (budget ${longestBudget}), ${total} ms blocked in all (budget ${totalBudget})`,
      step: worst && stepAt(events, worst.t),
      t: worst?.t,
      // The longest stall only grows; the total may be recounted on another basis once long tasks arrive.
      definite: (worst?.duration ?? 0) > longestBudget,
      evidence,
    };
  }
  return {
    oracle: 'stallBudget',
    pass: true,
    summary: `longest stall ${worst?.duration ?? 0} ms, ${total} ms blocked in all (budgets ${longestBudget}/${totalBudget})`,
    evidence,
  };
};
