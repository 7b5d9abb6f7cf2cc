// liveStreamsOracle: open chat streams never exceed the viewed streaming sessions, return to baseline, and do not grow.
import {
  formatSite,
  leakedStreams,
  liveStreamSeries,
  socketTransports,
  type LeakedStream,
} from '../timeline-queries.ts';
import { stepAt, type Oracle } from './types.ts';
import type { TimelineEvent, TransportCounts } from '../timeline.ts';
import { transportsPhrase } from '../probe/stream-routes.ts';

export interface LiveStreamsConfig {
  graceMs?: number;
  maxGrowthPerCycle?: number;
}

/** `; leaked streams created at /app.js:88 in openStream (×5)`, or nothing when no site is known. */
function sitesClause(leaked: LeakedStream[]): string {
  const bySite = new Map<string, number>();
  for (const l of leaked) if (l.site) bySite.set(formatSite(l.site), (bySite.get(formatSite(l.site)) ?? 0) + 1);
  if (!bySite.size) return '';
  const unknown = leaked.filter((l) => !l.site).length;
  return `; leaked streams created at ${[...bySite].map(([s, n]) => `${s} (×${n})`).join(', ')}${unknown ? `, ${unknown} at a site not recorded` : ''}`;
}

/** The open sockets by transport (see socketTransports). */
function transportsOf(events: TimelineEvent[], sockets: number[]): TransportCounts {
  const of = socketTransports(events);
  const out: TransportCounts = {};
  for (const s of sockets) {
    const k = of.get(s) ?? 'eventsource';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** "3 chat streams" while every one is an EventSource (the wording reports have always had), else by transport. */
function streamsNoun(n: number, counts: TransportCounts): string {
  const only = Object.entries(counts).filter(([, c]) => c);
  if (only.every(([k]) => k === 'eventsource')) return `${n} chat streams`;
  return transportsPhrase(counts) ?? `${n} chat streams`;
}

export const liveStreamsOracle: Oracle<LiveStreamsConfig> = (run, config) => {
  const grace = config.graceMs ?? 750;
  const events = run.timeline.ordered();
  const series = liveStreamSeries(events);
  const peak = series.reduce((m, p) => Math.max(m, p.open), 0);
  const names = Object.fromEntries(Object.entries(run.sessions).map(([a, id]) => [id, a]));
  const label = (ids: (string | null)[]) => ids.map((id) => (id && names[id]) ?? id ?? '?');

  // Excess intervals: more open than allowed, for longer than the grace period.
  let excessStart: number | null = null;
  type Excess = { t: number; open: number; allowed: number; sessions: string[]; lasted: number };
  let worstExcess: number[] = [];
  let worstSockets: number[] = [];
  let worst: Excess | null = null as Excess | null;
  let firstViolation: Excess | null = null as Excess | null;
  for (let i = 0; i < series.length; i++) {
    const p = series[i]!;
    const next = series[i + 1]?.t ?? run.endedAt;
    if (p.open > p.allowed) {
      excessStart ??= p.t;
      const lasted = next - excessStart;
      if (lasted > grace) {
        const v = { t: excessStart, open: p.open, allowed: p.allowed, sessions: label(p.sessions), lasted };
        firstViolation ??= v;
        if (!worst || p.open - p.allowed > worst.open - worst.allowed)
          [worst, worstExcess, worstSockets] = [v, p.excess, p.sockets];
      }
    } else excessStart = null;
  }

  const last = series.at(-1);
  const finalOpen = last?.open ?? 0;

  // Growth: peak open count per repeat cycle. A level counts once it has lasted the grace: a switch whose new stream
  // opens a few ms before the old one's socket closes is a handover, not a stream more per cycle.
  const cyclePeaks = run.cycles.map((c) => {
    let before = 0;
    let m = 0;
    for (let i = 0; i < series.length; i++) {
      const p = series[i]!;
      if (p.t < c.start) before = p.open;
      else if (p.t <= c.end && (series[i + 1]?.t ?? run.endedAt) - p.t > grace) m = Math.max(m, p.open);
    }
    return Math.max(m, before);
  });
  const maxGrowth = config.maxGrowthPerCycle ?? 0;
  const growth = cyclePeaks.length > 1 ? (cyclePeaks.at(-1)! - cyclePeaks[0]!) / (cyclePeaks.length - 1) : 0;
  const grew = growth > maxGrowth;

  // Each witness's peak, so a verdict shows whether the page and CDP saw what the server saw.
  const witnessPeaks: Record<string, number> = {};
  for (const e of events) {
    if (e.kind !== 'sample') continue;
    for (const [k, v] of Object.entries(e.witnesses))
      if (typeof v === 'number') witnessPeaks[k] = Math.max(witnessPeaks[k] ?? 0, v);
  }
  const seenBy = (['server', 'page', 'cdp', 'cdpObjects'] as const).filter((k) => witnessPeaks[k] !== undefined);
  const witnessNote = seenBy.length
    ? `; peaks by witness: ${seenBy.map((k) => `${{ server: 'server', page: 'page', cdp: 'CDP network', cdpObjects: 'CDP heap' }[k]} ${witnessPeaks[k]}`).join(', ')}`
    : '';
  const evidence = {
    peakOpen: peak,
    witnessPeaks,
    finalOpen,
    baseline: 0,
    graceMs: grace,
    cyclePeaks,
    growthPerCycle: growth,
    worst,
    series: series.map((p) => [p.t, p.open, p.allowed]),
  };
  const labelOne = (id: string | null) => label([id])[0]!;
  if (firstViolation) {
    const v = worst!;
    const leaked = leakedStreams(events, worstExcess, labelOne);
    const transports = transportsOf(events, worstSockets);
    return {
      oracle: 'liveStreams',
      pass: false,
      summary: `${streamsNoun(v.open, transports)} open (sessions ${v.sessions.join(', ')}) while the user views ${v.allowed} streaming session${v.allowed === 1 ? '' : 's'}, for ${v.lasted} ms; peak ${peak}${cyclePeaks.length > 1 ? `, cycle peaks ${cyclePeaks.join('→')}` : ''}${witnessNote}${sitesClause(leaked)}`,
      step: stepAt(events, firstViolation.t),
      t: firstViolation.t,
      definite: true,
      evidence: { ...evidence, leaked, transports },
    };
  }
  // Judged before the runs end (a Playwright test's matcher, a run stopped early), the viewed session may still stream.
  if (finalOpen > (last?.allowed ?? 0)) {
    const leaked = leakedStreams(events, last!.excess, labelOne);
    const transports = transportsOf(events, last!.sockets);
    const ended = last!.allowed
      ? `while the user views ${last!.allowed} streaming session at the end`
      : 'after every run ended (baseline 0)';
    return {
      oracle: 'liveStreams',
      pass: false,
      summary: `${streamsNoun(finalOpen, transports)} still open ${ended}${sitesClause(leaked)}`,
      t: last!.t,
      step: stepAt(events, last!.t),
      evidence: { ...evidence, leaked, transports },
    };
  }
  if (grew) {
    return {
      oracle: 'liveStreams',
      pass: false,
      summary: `open streams grow by ${growth.toFixed(2)} per cycle (peaks ${cyclePeaks.join('→')}), allowed ${maxGrowth}`,
      evidence,
    };
  }
  return {
    oracle: 'liveStreams',
    pass: true,
    summary: `at most ${peak} chat stream open, never more than the viewed streaming session; ${finalOpen ? 'only its stream open at the end' : 'back to 0 at the end'}${cyclePeaks.length > 1 ? `; cycle peaks ${cyclePeaks.join('→')}` : ''}`,
    evidence,
  };
};
