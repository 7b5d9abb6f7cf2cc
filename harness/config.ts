// sse-harness.config.ts: what a team sets once for every command (scenarios, target, browsers, workers, reports…)
// instead of repeating flags. A flag given on the command line wins over the config; the config wins over defaults.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from './deps.ts';
import { oneLine } from './printable.ts';
import type { z as Z } from 'zod';

export const configSchema = z
  .object({
    scenarios: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('scenario files or folders run when a command names none'),
    target: z.string().min(1).optional().describe('the chat UI target (a name, or a path to a target module)'),
    appDir: z.string().min(1).optional().describe("the UI's checkout, for targets that read one"),
    browsers: z
      .array(z.enum(['chromium', 'webkit']))
      .min(1)
      .optional()
      .describe('browsers to run in'),
    device: z.enum(['iphone']).optional().describe('mobile emulation profile'),
    workers: z.number().int().min(1).max(32).optional().describe('runs at once'),
    reportDir: z.string().min(1).optional().describe('where reports go'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .describe('more attempts for a run that did not do what it was for'),
    flaky: z.enum(['pass', 'fail']).optional().describe('whether a flaky run passes or fails the gate'),
    known: z.string().min(1).optional().describe('known findings file'),
    backend: z.enum(['mock', 'real']).optional().describe("the mock, or the UI's own server (hermes-webui)"),
    timeScale: z.number().min(0.05).max(20).optional().describe('play scripted streams at this speed'),
  })
  .strict();

export type SseHarnessConfig = Z.infer<typeof configSchema>;

/** Typed config for sse-harness.config.ts: `export default defineConfig({ … })`. */
export const defineConfig = (config: SseHarnessConfig): SseHarnessConfig => config;

/** The file names looked for in the working folder when no --config is given, in this order. */
export const CONFIG_FILES = [
  'sse-harness.config.ts',
  'sse-harness.config.mts',
  'sse-harness.config.js',
  'sse-harness.config.mjs',
];

/** Config keys that are paths, read relative to the config file's folder. */
const PATH_KEYS = ['appDir', 'reportDir', 'known'] as const;

export class ConfigError extends Error {}

/** The config in force: the named file, or the first default file in cwd, or none. Throws ConfigError. */
export async function loadConfig(
  named: string | undefined,
  cwd = process.cwd(),
): Promise<{ file: string; config: SseHarnessConfig } | null> {
  const file =
    named !== undefined ? resolve(cwd, named) : CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (!file) return null;
  const shown = oneLine(named ?? file, 200);
  if (!existsSync(file))
    throw new ConfigError(
      `sse-harness: --config ${shown}: no such file. Give the path of an sse-harness.config.ts, or leave --config out.`,
    );
  let exported: unknown;
  try {
    const url = pathToFileURL(file).href;
    const mod = /\.m?ts$/.test(file)
      ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url)
      : await import(url);
    exported = (mod as { default?: unknown }).default;
    // A .ts file outside an ESM package is compiled as CommonJS: its default export arrives one level down.
    if (exported && typeof exported === 'object' && 'default' in exported)
      exported = (exported as { default: unknown }).default;
  } catch (e) {
    throw new ConfigError(
      `sse-harness: config ${shown}: it threw while loading: ${oneLine(((e as Error).message ?? String(e)).split('\n')[0]!, 300)}. Fix the file so that it loads.`,
    );
  }
  if (exported === undefined)
    throw new ConfigError(
      `sse-harness: config ${shown}: no default export. Write \`export default defineConfig({ … })\`.`,
    );
  const parsed = configSchema.safeParse(exported);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'the default export';
    const known =
      issue.code === 'unrecognized_keys' ? ` (known keys: ${Object.keys(configSchema.shape).join(', ')})` : '';
    throw new ConfigError(
      `sse-harness: config ${shown}: ${oneLine(where, 100)}: ${oneLine(issue.message, 200)}${known}. Fix that entry.`,
    );
  }
  const config = { ...parsed.data };
  const base = dirname(file);
  for (const k of PATH_KEYS)
    if (config[k] !== undefined && !isAbsolute(config[k])) config[k] = resolve(base, config[k]);
  // A target given as a path is a module path, relative to the config too; a name stays a name.
  if (config.target !== undefined && /^\.{1,2}\//.test(config.target)) config.target = resolve(base, config.target);
  if (config.scenarios) config.scenarios = config.scenarios.map((s) => (isAbsolute(s) ? s : resolve(base, s)));
  return { file, config };
}
