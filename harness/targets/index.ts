// Target registry: a new chat UI is a new target file registered here, not a fork.
import { hermesTarget } from './hermes.ts';
import { referenceTargetAt } from './reference.ts';
import type { Target } from './types.ts';

export interface TargetOptions {
  /** Checkout of the UI to drive (targets that read a user's repository, e.g. hermes-webui). */
  appDir?: string;
}

type Factory = (opts: TargetOptions) => Target;

const TARGETS: Record<string, Factory> = {
  reference: (opts) => referenceTargetAt(opts.appDir),
  'hermes-webui': (opts) => hermesTarget(opts.appDir),
};

/** Adds a target; target files call this when imported (see harness/targets/*.ts). */
export function registerTarget(name: string, make: Factory): void {
  TARGETS[name] = make;
}

export const targetNames = () => Object.keys(TARGETS);

/** Targets that can start their UI's own server (Target.realBackend), known before a checkout is at hand. */
const OWN_SERVER = new Set(['hermes-webui']);
export const hasOwnServer = (name: string): boolean => OWN_SERVER.has(name);

/** Throws a one-sentence Error naming the problem and the fix (unknown target, missing or wrong --app-dir). */
export function targetFor(name: string, opts: TargetOptions = {}): Target {
  const make = TARGETS[name];
  if (!make) throw new Error(`sse-harness: unknown target "${name}". Known targets: ${targetNames().join(', ')}.`);
  return make(opts);
}
