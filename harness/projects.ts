// Which projects a run runs, and with what settings: the config's projects (sse-harness.config.ts), those named
// with --project, or without projects one per browser. A flag given on the command line replaces that setting in
// every project: -b runs each project in each browser given.
import type { ConfigProject } from './config.ts';
import { oneLine } from './printable.ts';

/** The settings a project may set for itself. */
export interface ProjectSettings {
  browsers: string[];
  device?: 'iphone';
  target: string;
  appDir?: string;
  /** Scenario files or folders (none: the built-in scenarios). */
  scenarios: string[];
  timeScale?: number;
  /** Streaming transports to run over, one run each (none: the target's default). */
  transports?: string[];
  /** The @ai-sdk/react version for the ai-sdk target (others ignore it). */
  sdkVersion?: string;
}

/** One browser (and transport) of one project, with the settings its runs use. */
export interface RunProject extends Omit<ProjectSettings, 'browsers' | 'transports'> {
  /** The config project's name; absent for the one project per browser of a run without projects. */
  name?: string;
  browser: string;
  /** The transport its target is made for (absent: the target's default). */
  transport?: string;
}

/** A config's transport setting: one transport, or a list. */
export const transportList = (t: string | readonly string[] | undefined): string[] | undefined =>
  t === undefined ? undefined : typeof t === 'string' ? [t] : [...t];

/** Each browser with each transport (none given: the target's default, no transport named). */
const perTransport = <T extends object>(items: T[], transports: string[] | undefined) =>
  items.flatMap((item) =>
    transports?.length ? [...new Set(transports)].map((transport) => ({ ...item, transport })) : [item],
  );

export class ProjectError extends Error {}

/**
 * The projects to run. `run` holds the run's settings (flags over the config's top level over the defaults),
 * `given` those set on the command line, `only` the names given with --project (none: every project).
 * Throws ProjectError, one sentence naming the fix.
 */
export function runProjects(
  projects: readonly ConfigProject[] | undefined,
  run: ProjectSettings,
  given: ReadonlySet<keyof ProjectSettings>,
  only: readonly string[] = [],
): RunProject[] {
  if (!projects) {
    if (only.length)
      throw new ProjectError(
        `sse-harness: --project ${oneLine(only.join(','), 200)}: the config has no projects. Define projects in sse-harness.config.ts, or leave --project out.`,
      );
    const { browsers, transports, ...rest } = run;
    return perTransport(
      browsers.map((browser) => ({ ...rest, browser })),
      transports,
    );
  }
  const names = projects.map((p) => p.name);
  const unknown = only.find((n) => !names.includes(n));
  if (unknown !== undefined)
    throw new ProjectError(
      `sse-harness: --project ${oneLine(unknown, 100)}: no such project. Known: ${names.join(', ')}.`,
    );
  const chosen = only.length ? projects.filter((p) => only.includes(p.name)) : projects;
  const own = <K extends keyof ProjectSettings & keyof ConfigProject>(p: ConfigProject, key: K) =>
    given.has(key) ? run[key] : (p[key] ?? run[key]);
  return chosen.flatMap((p) =>
    perTransport(
      (given.has('browsers') ? run.browsers : [p.browser]).map((browser) => ({
        name: p.name,
        browser,
        device: given.has('device') ? run.device : p.device,
        target: own(p, 'target')!,
        appDir: own(p, 'appDir'),
        scenarios: own(p, 'scenarios')!,
        timeScale: own(p, 'timeScale'),
        sdkVersion: own(p, 'sdkVersion'),
      })),
      given.has('transports') ? run.transports : (transportList(p.transport) ?? run.transports),
    ),
  );
}
