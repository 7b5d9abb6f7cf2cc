// The scripted time of a scenario: how long it would take if the browser and the harness cost nothing.
// A virtual clock walks the steps: waits add their time, sends start streams, waitFor advances to the moment the
// scripted server would have sent what is waited for. Harness overhead = measured time to verdict / this.
import { DEFAULT_TOKEN_RATE, type Scenario, type Step, type StreamItem } from './schema.ts';

/** Send times of each token and the end time of a stream, relative to its start (ms). */
function streamTimes(items: StreamItem[]): { tokenAt: number[]; end: number } {
  let t = 0;
  const tokenAt: number[] = [];
  for (const item of items) {
    if ('tokens' in item) {
      const n = item.tokens.count ?? (item.tokens.text ?? '').split(/(?<=\s)/).length;
      const rate = item.tokens.rate ?? DEFAULT_TOKEN_RATE;
      for (let i = 0; i < n; i++) tokenAt.push((t += 1000 / rate));
    } else if ('burst' in item) {
      const n = (item.burst as { count?: number }).count ?? 1;
      for (let i = 0; i < n; i++) tokenAt.push(t);
    } else if ('wait' in item) t += item.wait;
    else if ('stall' in item) t += item.stall;
    else if ('tool' in item) t += item.tool.duration ?? 0;
  }
  return { tokenAt, end: t };
}

export function scriptedMs(s: Scenario): number {
  let clock = 0;
  let viewed: string | undefined;
  const started = new Map<string, { at: number; stream: string }>();
  const ends: number[] = [];
  const walk = (steps: Step[]) => {
    for (const step of steps) {
      if ('newChat' in step) viewed = step.newChat;
      else if ('switchTo' in step) viewed = step.switchTo;
      else if ('wait' in step) clock += step.wait;
      else if ('send' in step) {
        const who = step.send.session ?? viewed ?? '?';
        started.set(who, { at: clock, stream: step.send.stream });
        ends.push(clock + streamTimes(s.streams[step.send.stream] ?? []).end);
      } else if ('waitFor' in step) {
        const run = started.get(step.waitFor.session ?? viewed ?? '?');
        if (!run) continue;
        const times = streamTimes(s.streams[run.stream] ?? []);
        const w = step.waitFor;
        // moreTokens: N tokens past those sent by the time the step begins.
        const want = w.moreTokens ? times.tokenAt.filter((t) => t <= clock - run.at).length + w.moreTokens : w.tokens;
        const at = w.complete || w.runEnded ? times.end : want ? (times.tokenAt[want - 1] ?? times.end) : 0;
        clock = Math.max(clock, run.at + at);
      } else if ('repeat' in step) {
        for (let i = 0; i < step.repeat.times; i++) walk(step.repeat.steps);
      }
    }
  };
  walk(s.steps);
  // settle: fast sends what is left of every stream at once after the last step.
  return s.settle === 'fast' ? clock : Math.max(clock, ...ends);
}
