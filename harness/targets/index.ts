// Target registry: the built-in targets by name, and the target modules a command was given by path (module.ts).
import { aiSdkTarget } from './ai-sdk.ts';
import { hermesTarget } from './hermes.ts';
import { referenceTargetAt } from './reference.ts';
import { isTargetPath, loadTargetModule, targetOf } from './module.ts';
import { checkTransport } from './transport.ts';
import type { Target, TargetFactory as Factory, TargetOptions } from './types.ts';

export type { TargetOptions } from './types.ts';

const TARGETS: Record<string, Factory> = {
  reference: (opts) => referenceTargetAt(opts.appDir, opts.transport),
  'hermes-webui': (opts) => hermesTarget(opts.appDir),
  'ai-sdk': (opts) => aiSdkTarget(opts),
};

/** Adds a target; target files call this when imported (see harness/targets/*.ts). */
export function registerTarget(name: string, make: Factory): void {
  TARGETS[name] = make;
}

export const targetNames = () => Object.keys(TARGETS);

/** Targets that can start their UI's own server (Target.realBackend), known before a checkout is at hand. */
const OWN_SERVER = new Set(['hermes-webui']);
export const hasOwnServer = (name: string): boolean => OWN_SERVER.has(name);

/**
 * The registry name for a --target value: a built-in name as it is; a module path (see module.ts) is loaded, checked
 * and registered under its absolute path, which every command then uses as the name (a sweep builds the target
 * anew for each ref). Throws a one-sentence Error naming the file and the fix.
 */
export async function useTarget(spec: string, label = '--target', cwd = process.cwd()): Promise<string> {
  if (!isTargetPath(spec)) return spec;
  const loaded = await loadTargetModule(spec, label, cwd);
  if (!TARGETS[loaded.file]) registerTarget(loaded.file, loaded.make);
  if (loaded.ownServer) OWN_SERVER.add(loaded.file);
  return loaded.file;
}

/** Throws a one-sentence Error naming the problem and the fix (unknown target, missing or wrong --app-dir). */
export function targetFor(name: string, opts: TargetOptions = {}): Target {
  const make = TARGETS[name];
  if (!make)
    throw new Error(
      `sse-harness: unknown target "${name}". Known targets: ${targetNames()
        .filter((n) => !isTargetPath(n))
        .join(', ')}, or the path of a target module (./my-target.ts).`,
    );
  return honouring(make(opts), opts);
}

/** The target, once it is known to use the transport asked for (one sentence naming those it has otherwise). */
function honouring(target: Target, opts: TargetOptions): Target {
  if (opts.transport !== undefined) checkTransport(target, opts.transport);
  return target;
}

/**
 * A target given in code (the Playwright fixture's sseTarget): a built-in name, the path of a target module (relative
 * to cwd), or a target or factory made with defineTarget, checked as a module's default export is.
 */
export async function resolveTarget(
  spec: string | Target | Factory,
  opts: TargetOptions,
  label: string,
  cwd = process.cwd(),
): Promise<Target> {
  if (typeof spec === 'string') return targetFor(await useTarget(spec, label, cwd), opts);
  return honouring(targetOf(spec, `sse-harness: ${label}`, cwd, 'the value given is').make(opts), opts);
}
