// The scripted time of a scenario: how long it would take if the browser and the harness cost nothing.
// A virtual clock walks the steps: waits add their time, sends start streams, waitFor advances to the moment the
// scripted server would have sent what is waited for. Harness overhead = measured time to verdict / this.
import { DEFAULT_TOKEN_RATE, type Scenario, type Step, type StreamItem } from './schema.ts';

type Path = (string | number)[];

/** How many tokens a tokens or burst item sends: its count, or the words of its text (as the player splits them). */
export function tokenCount(arg: { count?: number; text?: string }): number {
  if (arg.text === undefined) return arg.count ?? 0;
  let n = 0;
  for (const t of arg.text.split(/(?<=\s)/)) if (t.length > 0) n++;
  return n;
}

interface StreamTimes {
  /** When each token is sent, relative to the stream's start (ms), in order. */
  tokenAt: number[];
  end: number;
}

function streamTimes(items: StreamItem[]): StreamTimes {
  let t = 0;
  const tokenAt: number[] = [];
  for (const item of items) {
    if ('tokens' in item) {
      const n = tokenCount(item.tokens);
      const rate = item.tokens.rate ?? DEFAULT_TOKEN_RATE;
      for (let i = 0; i < n; i++) tokenAt.push((t += 1000 / rate));
    } else if ('burst' in item) {
      const n = tokenCount(item.burst);
      for (let i = 0; i < n; i++) tokenAt.push(t);
    } else if ('wait' in item) t += item.wait;
    else if ('stall' in item) t += item.stall;
    else if ('tool' in item) t += item.tool.duration ?? 0;
  }
  return { tokenAt, end: t };
}

/** How many of the sorted times are at or before `t`. */
function countUpTo(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Plays the steps on the virtual clock. `visit` sees each step (a repeated one once per repetition) with its path,
 * the clock after it and, for a send, when its stream would end; returning true stops the walk.
 */
function playSteps(s: Scenario, visit: (path: Path, clock: number, streamEnd?: number) => boolean | void): number {
  let clock = 0;
  let viewed: string | undefined;
  const started = new Map<string, { at: number; stream: string }>();
  const times = new Map<string, StreamTimes>();
  const timesOf = (stream: string) => {
    let t = times.get(stream);
    if (!t) times.set(stream, (t = streamTimes(Object.hasOwn(s.streams, stream) ? s.streams[stream]! : [])));
    return t;
  };
  const walk = (steps: Step[], base: Path): boolean => {
    for (const [i, step] of steps.entries()) {
      const path = [...base, i];
      let streamEnd: number | undefined;
      if ('newChat' in step) viewed = step.newChat;
      else if ('switchTo' in step) viewed = step.switchTo;
      else if ('wait' in step) clock += step.wait;
      else if ('send' in step) {
        const who = step.send.session ?? viewed ?? '?';
        started.set(who, { at: clock, stream: step.send.stream });
        streamEnd = clock + timesOf(step.send.stream).end;
      } else if ('waitFor' in step) {
        const run = started.get(step.waitFor.session ?? viewed ?? '?');
        if (run) {
          const t = timesOf(run.stream);
          const w = step.waitFor;
          // moreTokens: N tokens past those sent by the time the step begins.
          const want = w.moreTokens ? countUpTo(t.tokenAt, clock - run.at) + w.moreTokens : w.tokens;
          const at = w.complete || w.runEnded ? t.end : want ? (t.tokenAt[want - 1] ?? t.end) : 0;
          clock = Math.max(clock, run.at + at);
        }
      } else if ('repeat' in step) {
        for (let r = 0; r < step.repeat.times; r++)
          if (walk(step.repeat.steps, [...path, 'repeat', 'steps'])) return true;
        continue;
      }
      if (visit(path, clock, streamEnd)) return true;
    }
    return false;
  };
  walk(s.steps, ['steps']);
  return clock;
}

export function scriptedMs(s: Scenario): number {
  let end = 0;
  const clock = playSteps(s, (_path, _clock, streamEnd) => {
    if (streamEnd !== undefined) end = Math.max(end, streamEnd);
  });
  // settle: fast sends what is left of every stream at once after the last step.
  return s.settle === 'fast' ? clock : Math.max(clock, end);
}

/** The first step by which the script has run past `limitMs` (a send: its stream would end past it), if any. */
export function firstStepPast(s: Scenario, limitMs: number): { path: Path; ms: number } | undefined {
  let found: { path: Path; ms: number } | undefined;
  playSteps(s, (path, clock, streamEnd) => {
    // With settle: fast a stream ends at the last step at the latest, so only the steps' clock counts.
    const ms = s.settle === 'fast' || streamEnd === undefined ? clock : Math.max(clock, streamEnd);
    if (ms > limitMs) found = { path, ms };
    return found !== undefined;
  });
  return found;
}
