// Target registry: a new chat UI is a new target file registered here, not a fork.
import { referenceTarget } from './reference.ts';
import type { Target } from './types.ts';

const TARGETS: Record<string, () => Target> = {
  reference: () => referenceTarget,
};

export const targetNames = () => Object.keys(TARGETS);

export function targetFor(name: string): Target {
  const make = TARGETS[name];
  if (!make) throw new Error(`sse-harness: unknown target "${name}". Known targets: ${targetNames().join(', ')}.`);
  return make();
}
