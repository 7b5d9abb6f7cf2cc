// fuite and memlab, installed on demand at pinned versions into a cache folder of their own: never dependencies of
// the harness, never a browser download (they drive the Chromium the harness uses).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The versions measured; a different one in the cache is reinstalled. */
export const PINNED = { fuite: '5.0.9', memlab: '2.0.5' } as const;
export type OtherTool = keyof typeof PINNED;
export const OTHER_TOOLS = Object.keys(PINNED) as OtherTool[];

/** Overrides the cache folder, as --cache does. */
export const CACHE_ENV = 'SSE_HARNESS_ANCHORS_CACHE';

/** --cache, else $SSE_HARNESS_ANCHORS_CACHE, else $XDG_CACHE_HOME/sse-harness/anchors, else ~/.cache/sse-harness/anchors. */
export function cacheDir(flag?: string): string {
  if (flag) return resolve(flag);
  if (process.env[CACHE_ENV]) return resolve(process.env[CACHE_ENV]);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sse-harness', 'anchors');
}

function manifest(cache: string, tool: OtherTool): { version?: string; bin?: string | Record<string, string> } | null {
  try {
    return JSON.parse(readFileSync(join(cache, 'node_modules', tool, 'package.json'), 'utf8')) as {
      version?: string;
      bin?: string | Record<string, string>;
    };
  } catch {
    return null;
  }
}

/**
 * The command the tool's own package declares. Not node_modules/.bin: memlab and its @memlab/cli both declare a
 * `memlab` command, and npm links either one there.
 */
export function binOf(cache: string, tool: OtherTool): string | null {
  const bin = manifest(cache, tool)?.bin;
  const rel = typeof bin === 'string' ? bin : bin?.[tool];
  return rel ? join(cache, 'node_modules', tool, rel) : null;
}

/**
 * The tool's command as its own shebang asks for it, run by this Node: memlab's asks for Node flags through
 * `env node --expose-gc ...`, which only works once its install script has added `-S`, and install scripts are not run.
 */
export function nodeCommand(bin: string): string[] {
  const file = realpathSync(bin);
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.startsWith('#!') ? first.slice(2).trim().split(/\s+/) : [];
  const at = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  return [process.execPath, ...(at < 0 ? [] : words.slice(at + 1)), file];
}

export type Installed =
  { ok: true; version: string; command: string[]; installedNow: boolean } | { ok: false; why: string };

const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' / ');

/**
 * Installs whichever of `tools` is missing or at another version, with npm, into `cache`. Install scripts are not
 * run: they would download browsers (puppeteer) or compile native helpers neither tool needs to run here.
 * A tool that cannot be installed gets the reason, and the others go on.
 */
export function ensureTools(cache: string, tools: OtherTool[], say: (s: string) => void): Record<OtherTool, Installed> {
  const out = {} as Record<OtherTool, Installed>;
  const ready = (t: OtherTool) => {
    const bin = binOf(cache, t);
    return manifest(cache, t)?.version === PINNED[t] && bin !== null && existsSync(bin);
  };
  const wanted = tools.filter((t) => !ready(t));
  const install = (specs: string[]) => {
    say(`  installing ${specs.join(' ')} into ${cache} (npm, once) …`);
    mkdirSync(cache, { recursive: true });
    const env = {
      ...process.env,
      PUPPETEER_SKIP_DOWNLOAD: '1',
      PUPPETEER_SKIP_CHROME_DOWNLOAD: '1',
      PUPPETEER_SKIP_CHROME_HEADLESS_SHELL_DOWNLOAD: '1',
    };
    return spawnSync(
      'npm',
      ['install', '--prefix', cache, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel', 'error', ...specs],
      { encoding: 'utf8', env, timeout: 15 * 60_000 },
    );
  };
  const spec = (t: OtherTool) => `${t}@${PINNED[t]}`;
  if (wanted.length) {
    const all = install(wanted.map(spec));
    for (const t of wanted) {
      if (ready(t)) continue;
      // One failing package fails the whole command: each is tried alone, so the other still gets its row.
      const alone = wanted.length > 1 ? install([spec(t)]) : all;
      if (ready(t)) continue;
      const why = alone.error ? alone.error.message : lastLines(alone.stderr || alone.stdout) || `exit ${alone.status}`;
      out[t] = { ok: false, why: `npm install ${spec(t)} into ${cache} failed: ${why}` };
    }
  }
  for (const t of tools)
    out[t] ??= {
      ok: true,
      version: PINNED[t],
      command: nodeCommand(binOf(cache, t)!),
      installedNow: wanted.includes(t),
    };
  return out;
}
