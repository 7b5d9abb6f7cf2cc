// Oracles about streams and text: reattach on return, exact transcripts, no background reconnects, lock recovery.
import type { TimelineEvent } from '../timeline.ts';
import { describeDivergence, firstDivergence, quoteAround, type Divergence } from './divergence.ts';
import { viewedAt, viewedSetAt, viewMarks } from '../timeline-queries.ts';
import { stepAt, type Oracle, type RunRecord, type Verdict } from './types.ts';

type Ev<K extends TimelineEvent['kind']> = Extract<TimelineEvent, { kind: K }>;

/** Is the session's latest run active over the whole window [from, to]? */
function activeThrough(events: TimelineEvent[], session: string, from: number, to: number): boolean {
  let active = false;
  let endedAt = Infinity;
  for (const e of events) {
    if (e.t > from) {
      if (active && e.kind === 'run-end' && e.session === session) endedAt = Math.min(endedAt, e.t);
      continue;
    }
    if (e.kind === 'run-start' && e.session === session) active = true;
    if (e.kind === 'run-end' && e.session === session) active = false;
  }
  return active && endedAt >= to;
}

const aliasOf = (run: RunRecord, id: string | null) =>
  (id && Object.entries(run.sessions).find(([, s]) => s === id)?.[0]) ?? id ?? '?';

interface ReturnCheck {
  step: string;
  t: number;
  session: string;
  sseOpenAfterMs: number | null;
  shownBefore: number;
  grewAfterMs: number | null;
  /** The user turned to another session, or hid the page, this long after the return: the window ends there. */
  leftAfterMs?: number;
}

/**
 * When, after t, the user stopped looking at the session: a view of another session, or the page hidden. A recovery
 * window is only the user's to judge while they look.
 */
function leftAt(events: TimelineEvent[], session: string, t: number): number | null {
  const e = events.find(
    (x) =>
      x.t > t &&
      ((x.kind === 'view' && x.session !== session) || (x.kind === 'visibility' && x.hidden && x.tab === undefined)),
  );
  return e ? e.t : null;
}

/** After time t, did a new SSE for the session open and did its text grow past what was shown before, within T? */
function checkReturn(
  run: RunRecord,
  events: TimelineEvent[],
  session: string,
  t: number,
  withinMs: number,
  step: string,
): ReturnCheck {
  const texts = events.filter((e): e is Ev<'text'> => e.kind === 'text' && e.session === session);
  const shownBefore = texts.filter((e) => e.t < t).reduce((m, e) => Math.max(m, e.length), 0);
  const left = leftAt(events, session, t);
  const end = Math.min(t + withinMs, left ?? Infinity);
  // A stream of the session that is already open when the user comes back (the UI reattached while hidden, as a
  // page that is hidden but not frozen may, or never let go of it) is attached at once: the window then asks only
  // for new tokens to render.
  const openAtT = new Map<number, Ev<'sse-open'>>();
  for (const e of events) {
    if (e.t >= t) break;
    if (e.kind === 'sse-open' && e.session === session) openAtT.set(e.socket, e);
    if (e.kind === 'sse-close') openAtT.delete(e.socket);
    if (e.kind === 'page-close')
      for (const [k, o] of openAtT) if (o.streamId === e.streamId && o.t <= e.t) openAtT.delete(k);
    if (e.kind === 'page-unload') openAtT.clear();
  }
  const open = openAtT.size
    ? { t }
    : events.find((e): e is Ev<'sse-open'> => e.kind === 'sse-open' && e.session === session && e.t >= t && e.t <= end);
  const grew = texts.find((e) => e.t >= t && e.t <= end && e.length > shownBefore);
  return {
    step,
    t,
    session: aliasOf(run, session),
    sseOpenAfterMs: open ? open.t - t : null,
    shownBefore,
    grewAfterMs: grew ? grew.t - t : null,
    ...(left !== null && left < t + withinMs ? { leftAfterMs: left - t } : {}),
  };
}

function judgeReturns(run: RunRecord, name: string, trigger: 'switchTo' | 'unlock', withinMs: number): Verdict {
  const events = run.timeline.ordered();
  const checks: ReturnCheck[] = [];
  const cutShort: (ReturnCheck & { reason: string })[] = [];
  let skipped = 0;
  for (const e of events) {
    if (e.kind !== 'step-end' || e.step !== trigger || !e.ok) continue;
    const session =
      trigger === 'switchTo'
        ? (run.sessions[
            (events.find((s) => s.kind === 'step-start' && s.index === e.index) as Ev<'step-start'>)?.detail ?? ''
          ] ?? null)
        : viewedAt(events, e.t);
    if (!session) continue;
    // Judge from the moment the user acted (the step's start), but only while the run kept streaming long enough to
    // tell: through the whole window, or until the UI had reattached and rendered new tokens (a run may be hurried
    // to its end once that is shown: settle: fast).
    const first = events.find((s): s is Ev<'step-start'> => s.kind === 'step-start' && s.index === e.index)!;
    // A switch whose click the page did not act on is clicked again (the runner notes it): the user came back at the
    // click that took, not at the one the page never saw.
    const retried = events
      .filter(
        (n) =>
          n.kind === 'note' &&
          n.t >= first.t &&
          n.t <= e.t &&
          n.message.startsWith(`switchTo ${first.detail ?? ''}: the click did not switch`),
      )
      .at(-1);
    const start = retried ? { ...first, t: retried.t } : first;
    const check = checkReturn(
      run,
      events,
      session,
      start.t,
      withinMs,
      `${start.path} ${trigger}${start.detail ? ` ${start.detail}` : ''}`,
    );
    const provenAfter =
      check.sseOpenAfterMs !== null && check.grewAfterMs !== null
        ? Math.max(check.sseOpenAfterMs, check.grewAfterMs)
        : withinMs;
    if (!activeThrough(events, session, start.t, start.t + provenAfter)) {
      skipped++;
      continue;
    }
    // Not shown yet, and the user already left: what the UI would have done in the rest of the window is unknown.
    const unproven = check.sseOpenAfterMs === null || check.grewAfterMs === null;
    if (unproven && check.leftAfterMs !== undefined) {
      cutShort.push({
        ...check,
        reason: `the user left session ${check.session} ${check.leftAfterMs} ms after the ${trigger}, before the ${withinMs} ms window ended`,
      });
      continue;
    }
    checks.push(check);
  }
  const bad = checks.find((c) => c.sseOpenAfterMs === null || c.grewAfterMs === null);
  const evidence = {
    withinMs,
    checks,
    skippedBecauseRunEnded: skipped,
    ...(cutShort.length ? { notJudged: cutShort } : {}),
  };
  if (bad) {
    const what =
      bad.sseOpenAfterMs === null
        ? 'no new stream opened'
        : `a stream reopened after ${bad.sseOpenAfterMs} ms but no new tokens rendered (stuck at ${bad.shownBefore} chars)`;
    // Definite once the whole window has passed (judged mid-run, a window still open may yet see the reattach).
    return {
      oracle: name,
      pass: false,
      summary: `${trigger === 'switchTo' ? 'returned to' : 'unlocked'} streaming session ${bad.session}: ${what} within ${withinMs} ms`,
      step: bad.step,
      t: bad.t,
      definite: bad.t + withinMs <= run.endedAt,
      evidence,
    };
  }
  if (!checks.length && cutShort.length) {
    return {
      oracle: name,
      pass: true,
      notJudged: cutShort[0]!.reason,
      summary: `not judged: ${cutShort[0]!.reason} (script a dwell: waitFor moreTokens before leaving)`,
      step: cutShort[0]!.step,
      evidence,
    };
  }
  if (!checks.length) {
    return {
      oracle: name,
      pass: false,
      summary: `nothing to judge: no ${trigger} into a session that kept streaming for ${withinMs} ms (make the stream longer)`,
      evidence,
    };
  }
  const slowest = Math.max(...checks.map((c) => Math.max(c.sseOpenAfterMs!, c.grewAfterMs!)));
  return {
    oracle: name,
    pass: true,
    summary: `${checks.length} ${trigger === 'switchTo' ? 'return' : 'unlock'}${checks.length === 1 ? '' : 's'}: stream reattached and new tokens rendered, slowest ${slowest} ms (budget ${withinMs} ms)`,
    evidence,
  };
}

export const reattachOracle: Oracle<{ withinMs?: number }> = (run, config) =>
  judgeReturns(run, 'reattach', 'switchTo', config.withinMs ?? 3000);

/**
 * Where a shown text that is a prefix of its script stops (a shrink, a final answer cut short): the shown text is the
 * script's first chars, so both windows come from the script. Only when the run's script is the one the sample was
 * judged against (same length): a session sent to twice has a new script.
 */
function prefixDivergence(run: RunRecord, e: Ev<'text'>): Divergence | null {
  const script = scriptOf(run, e);
  if (script === null || e.length > script.length) return null;
  return firstDivergence(script.slice(0, e.length), script);
}

/** The script a text sample was judged against, when the run still holds it (same length; a new send has a new one). */
function scriptOf(run: RunRecord, e: Ev<'text'>): string | null {
  const script = run.scripted[e.session];
  return script !== undefined && script.length === e.scripted ? script : null;
}

/**
 * Shown text is always a prefix of the scripted answer that never shrinks; the final text is exact.
 *
 * A read that contradicts this is judged only once a later read of the same session confirms it: right after a switch
 * a UI may already name the new session while its pane still shows the old one's text for a frame or two, and a
 * read of that frame says nothing about either session. The next read either restores a valid, growing prefix (the
 * frame was in transition: noted, not judged) or still contradicts (the failure, dated from the first read).
 */
export const transcriptOracle: Oracle<{ final?: boolean }> = (run, config) => {
  const events = run.timeline.ordered();
  const shown = new Map<string, number>();
  /** Per session, a contradicting read not yet confirmed or cleared by the next read, with what it contradicted. */
  const pending = new Map<string, { e: Ev<'text'>; max: number }>();
  const transitional: { t: number; session: string; length: number; step?: string }[] = [];
  let samples = 0;
  let reloading = false;
  const failOn = (first: Ev<'text'>, max: number, confirmedAt: number): Verdict => {
    const step = stepAt(events, first.t);
    const confirmed = { confirmedAfterMs: confirmedAt - first.t };
    if (!first.prefixOk) {
      const d = first.divergence;
      const summary = d
        ? `session ${aliasOf(run, first.session)}: ${describeDivergence(d)} (${d.detail})`
        : `session ${aliasOf(run, first.session)} shows text that is not a prefix of the scripted answer (${first.length} of ${first.scripted} chars; lost or doubled tokens)`;
      return {
        oracle: 'transcript',
        pass: false,
        summary,
        step,
        t: first.t,
        definite: true,
        evidence: {
          length: first.length,
          scripted: first.scripted,
          ...(d ? { divergence: d } : { excerpt: first.excerpt }),
          ...confirmed,
        },
      };
    }
    const d = prefixDivergence(run, first);
    const where = d
      ? ` at char ${d.offset}: shown ${quoteAround(d, d.shown)}, expected ${quoteAround(d, d.expected)}`
      : '';
    return {
      oracle: 'transcript',
      pass: false,
      summary: `session ${aliasOf(run, first.session)}: shown answer shrank from ${max} to ${first.length} chars (already-rendered text vanished)${where}`,
      step,
      t: first.t,
      definite: true,
      evidence: {
        before: max,
        after: first.length,
        scripted: first.scripted,
        ...(d ? { divergence: d } : {}),
        ...confirmed,
      },
    };
  };
  for (const e of events) {
    // A new run or a page reload legitimately starts the text over. While a reload is under way a sample may come
    // from the old page or the new one (a loaded machine reloads slowly): no shrink is judged until it is done.
    if (e.kind === 'run-start') {
      shown.delete(e.session);
      pending.delete(e.session);
    }
    if ((e.kind === 'step-start' || e.kind === 'step-end') && e.step === 'reload') {
      shown.clear();
      pending.clear();
      reloading = e.kind === 'step-start';
    }
    if (e.kind !== 'text') continue;
    samples++;
    const max = reloading ? 0 : (shown.get(e.session) ?? 0);
    // Trailing whitespace is not text a user sees: a live answer ending in a space that renders without it has not
    // shrunk. What a prefix shows is measured without it (from the script, when the event is of the latest run).
    const script = e.prefixOk ? scriptOf(run, e) : null;
    const seen = script !== null ? script.slice(0, e.length).trimEnd().length : e.length;
    const contradicts = !e.prefixOk || seen < max;
    const open = pending.get(e.session);
    if (contradicts) {
      if (open) return failOn(open.e, open.max, e.t);
      pending.set(e.session, { e, max });
      continue;
    }
    if (open) {
      transitional.push({
        t: open.e.t,
        session: aliasOf(run, e.session),
        length: open.e.length,
        step: stepAt(events, open.e.t),
      });
      pending.delete(e.session);
    }
    shown.set(e.session, Math.max(seen, max));
  }
  const unconfirmed = [...pending.values()].map((p) => ({
    t: p.e.t,
    session: aliasOf(run, p.e.session),
    length: p.e.length,
    step: stepAt(events, p.e.t),
  }));
  const frames = {
    ...(transitional.length ? { notJudgedFrames: transitional } : {}),
    ...(unconfirmed.length ? { unconfirmedFrames: unconfirmed } : {}),
  };
  if (config.final !== false) {
    const last = [...events].reverse().find((e): e is Ev<'text'> => e.kind === 'text');
    if (!last)
      return { oracle: 'transcript', pass: false, summary: 'no answer text was ever shown', evidence: { samples } };
    if (last.length !== last.scripted || !last.prefixOk) {
      const d = last.prefixOk ? prefixDivergence(run, last) : last.divergence;
      return {
        oracle: 'transcript',
        pass: false,
        summary: `final answer of session ${aliasOf(run, last.session)} has ${last.length} of ${last.scripted} scripted chars${d ? `: ${describeDivergence(d)}` : ''}`,
        t: last.t,
        step: stepAt(events, last.t),
        evidence: {
          length: last.length,
          scripted: last.scripted,
          ...(d ? { divergence: d } : last.excerpt !== undefined ? { excerpt: last.excerpt } : {}),
          ...frames,
        },
      };
    }
  }
  const note = transitional.length
    ? `; ${transitional.length} frame${transitional.length === 1 ? '' : 's'} in transition not judged`
    : '';
  return {
    oracle: 'transcript',
    pass: true,
    summary: `${samples} text samples, each a growing prefix of the script; final answer exact${note}`,
    evidence: { samples, ...frames },
  };
};

export const noBackgroundReconnectOracle: Oracle<{ graceMs?: number }> = (run, config) => {
  const grace = config.graceMs ?? 500;
  const events = run.timeline.ordered();
  const views = events.filter((e): e is Ev<'view'> => e.kind === 'view');
  const opens = events.filter((e): e is Ev<'sse-open'> => e.kind === 'sse-open' && e.session !== null);
  const marks = viewMarks(events);
  for (const o of opens) {
    const viewedNow = viewedAt(events, o.t);
    // Mid-switch (the UI has not shown the chosen session yet) the session being left still counts as viewed.
    if (viewedNow === o.session || viewedSetAt(marks, o.t).includes(o.session)) continue;
    // Forgive an open racing the user's switch away: the session was viewed a moment ago.
    const recentlyViewed =
      views.some((v) => v.t <= o.t && v.t >= o.t - grace) && viewedAt(events, o.t - grace) === o.session;
    if (recentlyViewed) continue;
    return {
      oracle: 'noBackgroundReconnect',
      pass: false,
      summary: `SSE opened for session ${aliasOf(run, o.session)} while the user views ${aliasOf(run, viewedNow)}`,
      step: stepAt(events, o.t),
      t: o.t,
      definite: true,
      evidence: {
        socket: o.socket,
        streamId: o.streamId,
        afterSeq: o.afterSeq,
        viewed: aliasOf(run, viewedNow),
        graceMs: grace,
      },
    };
  }
  return {
    oracle: 'noBackgroundReconnect',
    pass: true,
    summary: `all ${opens.length} chat-stream opens were for the viewed session`,
    evidence: { opens: opens.length, graceMs: grace },
  };
};

export const lockRecoveryOracle: Oracle<{ withinMs?: number }> = (run, config) => {
  const v = judgeReturns(run, 'lockRecovery', 'unlock', config.withinMs ?? 4000);
  if (!v.pass) return v;
  const t = transcriptOracle(run, { final: true });
  if (!t.pass) return { ...t, oracle: 'lockRecovery', summary: `after unlock: ${t.summary}` };
  return { ...v, summary: `${v.summary}; answer completed exactly` };
};
