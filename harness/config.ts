// sse-harness.config.ts: what a team sets once for every command (scenarios, target, browsers, workers, reports…)
// instead of repeating flags. A flag given on the command line wins over the config; the config wins over defaults.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from './deps.ts';
import { oneLine } from './printable.ts';
import type { z as Z } from 'zod';
import { TRANSPORT_KINDS } from './targets/transport.ts';

const BROWSER_NAMES = ['chromium', 'webkit'] as const;
const DEVICES = ['iphone'] as const;
/** A transport, or several (one run each), for targets that can stream more than one way (targets/transport.ts). */
const transportSetting = z
  .union([z.enum(TRANSPORT_KINDS), z.array(z.enum(TRANSPORT_KINDS)).min(1)], {
    error: `expected one of ${TRANSPORT_KINDS.map((k) => `"${k}"`).join(', ')}, or a list of them`,
  })
  .optional()
  .describe(`the streaming transport the UI must use (${TRANSPORT_KINDS.join(', ')}), or a list: one run each`);

/**
 * One project: a browser (with an optional device profile) and the settings that may differ per project; what a
 * project leaves out it takes from the top of the config.
 */
/** The @ai-sdk/react version the ai-sdk target builds its app with (--sdk-version); other targets ignore it. */
const sdkVersionSetting = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .describe('the @ai-sdk/react version the ai-sdk target installs and bundles its app with; other targets ignore it');

export const projectSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$/,
        'a project name is 1 to 60 letters, digits, ".", "_" or "-", starting with a letter or digit',
      )
      .describe('what --project and the reports call it'),
    browser: z.enum(BROWSER_NAMES).describe('the browser it runs in'),
    device: z.enum(DEVICES).optional().describe('mobile emulation profile'),
    target: z.string().min(1).optional().describe("this project's target (a name, or a path to a target module)"),
    appDir: z.string().min(1).optional().describe("this project's UI checkout"),
    scenarios: z.array(z.string().min(1)).min(1).optional().describe("this project's scenario files or folders"),
    timeScale: z.number().min(0.05).max(20).optional().describe('play scripted streams at this speed'),
    transport: transportSetting,
    sdkVersion: sdkVersionSetting,
  })
  .strict();

export type ConfigProject = Z.infer<typeof projectSchema>;

export const configSchema = z
  .object({
    scenarios: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('scenario files or folders run when a command names none'),
    target: z.string().min(1).optional().describe('the chat UI target (a name, or a path to a target module)'),
    appDir: z.string().min(1).optional().describe("the UI's checkout, for targets that read one"),
    transport: transportSetting,
    sdkVersion: sdkVersionSetting,
    browsers: z
      .array(z.enum(BROWSER_NAMES))
      .min(1)
      .optional()
      .describe('browsers to run in (one implicit project each); not with projects'),
    device: z.enum(DEVICES).optional().describe('mobile emulation profile; not with projects (set it per project)'),
    projects: z
      .array(projectSchema)
      .min(1)
      .optional()
      .describe('run once per project: its browser and device, and its own target, appDir, scenarios, timeScale'),
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
    bootTimeout: z
      .number()
      .int()
      .min(1)
      .max(600)
      .optional()
      .describe("seconds the UI gets to become ready at a run's first open (default 15)"),
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
    const inProject = issue.path[0] === 'projects' && issue.path.length === 2;
    const keys = Object.keys((inProject ? projectSchema : configSchema).shape);
    const known = issue.code === 'unrecognized_keys' ? ` (known keys: ${keys.join(', ')})` : '';
    throw new ConfigError(
      `sse-harness: config ${shown}: ${placeOf(issue.path, exported)}: ${oneLine(issue.message, 200)}${known}. Fix that entry.`,
    );
  }
  const config = { ...parsed.data };
  checkProjects(config, `sse-harness: config ${shown}`);
  const base = dirname(file);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  // A target given as a path is a module path, relative to the config too; a name stays a name.
  const target = (t: string) => (/^\.{1,2}\//.test(t) ? resolve(base, t) : t);
  for (const k of PATH_KEYS) if (config[k] !== undefined) config[k] = path(config[k]);
  if (config.target !== undefined) config.target = target(config.target);
  if (config.scenarios) config.scenarios = config.scenarios.map(path);
  config.projects = config.projects?.map((p) => ({
    ...p,
    ...(p.target !== undefined ? { target: target(p.target) } : {}),
    ...(p.appDir !== undefined ? { appDir: path(p.appDir) } : {}),
    ...(p.scenarios ? { scenarios: p.scenarios.map(path) } : {}),
  }));
  if (!config.projects) delete config.projects;
  return { file, config };
}

/** Where an issue is, a project named as the config wrote it: `projects[1] "mobile": browser`. */
function placeOf(path: PropertyKey[], exported: unknown): string {
  if (path[0] !== 'projects' || typeof path[1] !== 'number')
    return path.length ? oneLine(path.map(String).join('.'), 100) : 'the default export';
  const entry = (exported as { projects?: unknown[] }).projects?.[path[1]] as { name?: unknown } | undefined;
  const name = typeof entry?.name === 'string' ? ` "${oneLine(entry.name, 60)}"` : '';
  const rest = path.slice(2).map(String).join('.');
  return `projects[${path[1]}]${name}${rest ? `: ${oneLine(rest, 100)}` : ''}`;
}

/** What the schema cannot say: project names are unique, and projects replace the flat browsers and device. */
function checkProjects(config: SseHarnessConfig, said: string): void {
  const { projects } = config;
  if (!projects) return;
  if (config.browsers)
    throw new ConfigError(
      `${said}: projects and browsers both given: each project names its browser. Move each browser into a project ({ name, browser }), or leave projects out.`,
    );
  if (config.device)
    throw new ConfigError(
      `${said}: projects and device both given: each project names its device. Set device in the projects that need it, or leave projects out.`,
    );
  projects.forEach((p, i) => {
    const first = projects.findIndex((q) => q.name === p.name);
    if (first < i)
      throw new ConfigError(
        `${said}: projects[${i}] "${p.name}": name: projects[${first}] is called that too. Give each project its own name.`,
      );
  });
}
