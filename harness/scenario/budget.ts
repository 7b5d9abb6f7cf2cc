// Limits only the whole scenario shows: tokens per stream (items add up), steps with repeats unrolled (nested repeats
// multiply) and scripted time. Each alone is a number the schema allows; together they could outlast any run.
import type { Path } from './error.ts';
import { fmtDuration, MAX_SCRIPTED_MS, MAX_STEPS, MAX_TOKENS_PER_STREAM } from './limits.ts';
import type { Scenario, Step } from './schema.ts';
import { firstStepPast, tokenCount } from './scripted.ts';

type Fail = (path: Path, problem: string, hint?: string) => never;

export function checkBudget(s: Scenario, fail: Fail): void {
  for (const [name, items] of Object.entries(s.streams)) {
    let total = 0;
    items.forEach((item, i) => {
      const key = 'tokens' in item ? 'tokens' : 'burst' in item ? 'burst' : undefined;
      if (!key) return;
      total += tokenCount(
        'tokens' in item ? item.tokens : (item as { burst: { count?: number; text?: string } }).burst,
      );
      if (total > MAX_TOKENS_PER_STREAM) {
        fail(
          ['streams', name, i, key],
          `with this item the stream sends ${total} tokens; a stream sends at most ${MAX_TOKENS_PER_STREAM}`,
          'shorten the stream, or split the answer over several sends',
        );
      }
    });
  }

  // Unrolled from the inside out: the innermost repeat that takes the count past the limit is the one to shorten.
  const unrolled = (steps: Step[], base: Path): number => {
    let n = 0;
    steps.forEach((step, i) => {
      if (!('repeat' in step)) return void n++;
      const at = [...base, i, 'repeat'];
      const total = step.repeat.times * unrolled(step.repeat.steps, [...at, 'steps']);
      if (total > MAX_STEPS) {
        fail(
          [...at, 'times'],
          `this repeat runs ${total} steps (nested repeats multiply); a scenario runs at most ${MAX_STEPS}`,
          'lower times, here or in an enclosing repeat',
        );
      }
      n += total;
    });
    return n;
  };
  const steps = unrolled(s.steps, ['steps']);
  if (steps > MAX_STEPS)
    fail(
      ['steps'],
      `the steps run ${steps} times with repeats unrolled; a scenario runs at most ${MAX_STEPS}`,
      'lower repeat times, or split the scenario',
    );

  const past = firstStepPast(s, MAX_SCRIPTED_MS);
  if (past) {
    fail(
      past.path,
      `by this step the script has run ${fmtDuration(past.ms)}; a scenario scripts at most ${fmtDuration(MAX_SCRIPTED_MS)}`,
      'shorten waits, streams or repeats; streams still playing after the last step count too, unless settle: fast',
    );
  }
}
