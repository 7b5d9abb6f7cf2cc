// The step table's type: every step kind of the scenario schema maps to its handler. A kind added to the schema
// without a handler fails the type check, instead of compiling and silently doing nothing.
import type { Step, StepArgs, StepName } from '../scenario/schema.ts';

/** The kinds a handler performs; a repeat is not performed but unrolled by the runner. */
export type StepKind = Exclude<StepName, 'repeat'>;

export type StepTable<R> = { [K in StepKind]: (arg: StepArgs[K]) => Promise<R> };

/** A step's kind: the one key the loader let through. */
export const kindOf = (step: Step): StepName => Object.keys(step)[0] as StepName;

/** Runs a step with its kind's handler. */
export function perform<R>(table: StepTable<R>, step: Step): Promise<R> {
  const kind = kindOf(step);
  if (kind === 'repeat') throw new Error('sse-harness: a repeat is unrolled by the runner, not performed');
  // One cast, here: TypeScript cannot correlate the key it looked up with the argument it read under that key.
  const handler = table[kind] as (arg: unknown) => Promise<R>;
  return handler((step as Record<StepKind, unknown>)[kind]);
}
