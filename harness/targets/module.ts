// A user's target as a module: `--target ./my-target.ts` (or a config entry) names a file whose default export is a
// target, or a factory that makes one from the command's options. The module is someone else's code: what it exports
// is checked field by field before the harness relies on it, and every failure is one sentence naming the file.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import { oneLine } from '../printable.ts';
import { RESUME_BEHAVIOURS } from '../mock/server-model.ts';
import type { Target, TargetFactory, TargetOptions } from './types.ts';

/** A --target value that names a file rather than a built-in target. */
export const isTargetPath = (spec: string): boolean =>
  spec.startsWith('.') || isAbsolute(spec) || /\.(c|m)?(t|j)s$/.test(spec);

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });
const text = (max: number) => z.string().min(1).max(max);

/** What the harness reads of a target, checked at run time. Functions are checked to be functions, not called. */
export const targetShape = z.object({
  name: text(100),
  version: z.string().max(1000),
  regressions: z.array(z.string()).readonly(),
  transports: z.array(text(100)).readonly().optional(),
  transport: text(100).optional(),
  backend: fn,
  realBackend: fn.optional(),
  backendModel: z.object({ resume: z.enum(RESUME_BEHAVIOURS), why: z.string() }).optional(),
  entry: fn,
  readyExpression: text(100_000),
  readyRequests: z.array(z.string()).readonly().optional(),
  readySignal: z.string().optional(),
  viewedSessionExpression: text(100_000),
  answerTextExpression: text(100_000),
  newChat: fn,
  send: fn,
  switchTo: fn,
  stop: fn.optional(),
});

// Every field of Target is checked, and only those: a field added to Target (or the shape) alone fails tsc here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type TargetShapeCoversTarget = Assert<Same<keyof Target, keyof Z.infer<typeof targetShape>>>;

export interface LoadedTargetModule {
  /** The module's absolute path: the name the registry knows it by. */
  file: string;
  /** Makes the target for a command's options, checked each time (a factory may return something else per checkout). */
  make: TargetFactory;
  /** Whether it may start its UI's own server: known for a target, assumed for a factory until it is called. */
  ownServer: boolean;
}

/** An error's first line; with the next one when it only introduces it (esbuild: "Transform failed with 1 error:"). */
function firstLine(e: unknown): string {
  const lines = String((e as Error)?.message ?? e)
    .split('\n')
    .filter((l) => l.trim());
  return oneLine(lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? ''), 300);
}

/** Loads the module at spec (relative to cwd) and checks its default export; throws one sentence on any failure. */
export async function loadTargetModule(
  spec: string,
  label = '--target',
  cwd = process.cwd(),
): Promise<LoadedTargetModule> {
  const file = resolve(cwd, spec);
  const said = `sse-harness: ${label} ${oneLine(spec, 300)}`;
  if (!existsSync(file))
    throw new Error(
      `${said}: no such file. Give the path of a target module (its default export made with defineTarget from 'sse-harness'), or a built-in target name.`,
    );
  if (!statSync(file).isFile())
    throw new Error(`${said}: not a file. Give the path of a target module (e.g. ./my-target.ts).`);
  let exported: unknown;
  try {
    const url = pathToFileURL(file).href;
    // TypeScript through tsx (a dependency), so a target needs no build step of its own; JavaScript as it is.
    const mod: unknown = /\.(c|m)?ts$/.test(file)
      ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url)
      : await import(url);
    exported = (mod as { default?: unknown }).default;
    // A .ts file in a package that is not "type": "module" is compiled to CommonJS: its exports arrive one level down.
    if (exported && typeof exported === 'object' && (exported as { __esModule?: unknown }).__esModule)
      exported = (exported as { default?: unknown }).default;
  } catch (e) {
    throw new Error(`${said}: it threw while loading: ${firstLine(e)}. Fix the module so that it loads.`, { cause: e });
  }
  if (exported === undefined)
    throw new Error(
      `${said}: no default export. Write \`export default defineTarget({ … })\` (defineTarget from 'sse-harness').`,
    );
  return { file, ...targetOf(exported, said, cwd) };
}

/**
 * A target from a value: a target, or a factory that makes one from a command's options (its app dir read from cwd).
 * `said` begins every error; `what` names the value in it.
 */
export function targetOf(
  value: unknown,
  said: string,
  cwd = process.cwd(),
  what = 'its default export is',
): Omit<LoadedTargetModule, 'file'> {
  if (typeof value === 'function') {
    const factory = value as (opts: TargetOptions) => unknown;
    return {
      ownServer: true,
      make: (opts) => {
        let made: unknown;
        try {
          made = factory(opts.appDir === undefined ? opts : { ...opts, appDir: resolve(cwd, opts.appDir) });
        } catch (e) {
          throw new Error(`${said}: its factory threw: ${firstLine(e)}.`, { cause: e });
        }
        if (made instanceof Promise)
          throw new Error(
            `${said}: its factory returned a promise. Return the target itself (a factory is synchronous).`,
          );
        return checked(made, said, 'its factory returned');
      },
    };
  }
  const target = checked(value, said, what);
  return { ownServer: !!target.realBackend, make: () => target };
}

/** The value itself (not a copy: a class instance keeps its prototype) once it has the shape of a target. */
function checked(value: unknown, said: string, what: string): Target {
  if (value === null || typeof value !== 'object')
    throw new Error(
      `${said}: ${what} ${value === null ? 'null' : typeof value}, not a target. Export defineTarget({ name, version, … }) or a factory that returns one.`,
    );
  const r = targetShape.safeParse(value);
  if (r.success) return value as Target;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const missing = issue.path.length === 1 && (value as Record<string, unknown>)[field] === undefined;
  const why = missing
    ? `it has no ${oneLine(field, 100)}`
    : `${oneLine(field, 100)}: ${oneLine(issue.message.replace(/^Invalid input: /, ''), 200)}`;
  throw new Error(
    `${said}: ${what} not a target: ${why}. Give every field of Target (docs/targets.md); defineTarget from 'sse-harness' checks them as you type.`,
  );
}
