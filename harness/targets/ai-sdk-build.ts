// The ai-sdk target's app, made at run time for one published @ai-sdk/react version: the package installed with npm
// into a cache folder of its own (once per version), the fixture app (fixtures/ai-sdk-app) bundled against it with
// esbuild (once per version and app source). Nothing is written into the repository.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ROOT } from '../paths.ts';

/** The version `--sdk-version` defaults to: the newest one the harness was checked against (docs/ai-sdk.md). */
export const DEFAULT_SDK_VERSION = '4.0.177';
/** React for every SDK version: inside each version's peer range (^18 || ~19.0.1 || ~19.1.2 || ^19.2.1 and wider). */
export const REACT_VERSION = '19.2.1';
export const AI_SDK_APP_DIR = join(ROOT, 'fixtures', 'ai-sdk-app');
/** The app's served files, copied next to the bundle. */
const STATIC_FILES = ['index.html', 'style.css'];
const NPM_TIMEOUT_MS = 10 * 60_000;

/** Thrown with one sentence that names the problem and the fix. */
export class SdkBuildError extends Error {}

/**
 * Where installed versions are kept: `$XDG_CACHE_HOME/sse-harness/ai-sdk` (XDG's cache folder), `~/.cache/...` when
 * it is unset; `SSE_HARNESS_CACHE` (absolute) replaces `$XDG_CACHE_HOME/sse-harness`.
 */
export function sdkCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.SSE_HARNESS_CACHE;
  if (own && isAbsolute(own)) return join(own, 'ai-sdk');
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'sse-harness', 'ai-sdk');
}

/** Checks a `--sdk-version` value: an exact published version, 2.0.0 or later (the first to speak the UI message stream). */
export function checkSdkVersion(v: string): string {
  const m = /^(\d{1,4})\.(\d{1,4})\.(\d{1,6})(-[0-9A-Za-z.]{1,40})?$/.exec(v);
  if (!m)
    throw new SdkBuildError(
      `sse-harness: --sdk-version "${v.slice(0, 60)}" is not a version: give an exact @ai-sdk/react version such as ${DEFAULT_SDK_VERSION} (npm view @ai-sdk/react versions lists them).`,
    );
  if (Number(m[1]) < 2)
    throw new SdkBuildError(
      `sse-harness: --sdk-version ${v}: @ai-sdk/react before 2.0.0 speaks the older data stream protocol, not the UI message stream the ai-sdk target's mock plays. Give 2.0.0 or later.`,
    );
  return v;
}

/** The first line of npm's output that says what went wrong (not the pointer to its log file). */
function npmFailure(out: string): string {
  const lines = out
    .split('\n')
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter(Boolean);
  return lines.find((l) => !/^(A complete log|code [A-Z])/i.test(l)) ?? '';
}

/** The folder of an installed version (its node_modules inside), installing it first when it is not there. */
export function installSdk(version: string, root = sdkCacheRoot(), log: (s: string) => void = () => {}): string {
  checkSdkVersion(version);
  const dir = join(root, version);
  if (existsSync(join(dir, 'node_modules', '@ai-sdk', 'react', 'package.json'))) return dir;
  mkdirSync(root, { recursive: true });
  // Installed beside, then renamed into place: a folder under the version's name is always a whole install, and two
  // runs installing at once both end with one.
  const tmp = mkdtempSync(join(root, `.${version}-`));
  try {
    writeFileSync(
      join(tmp, 'package.json'),
      JSON.stringify({
        private: true,
        dependencies: { '@ai-sdk/react': version, react: REACT_VERSION, 'react-dom': REACT_VERSION },
      }),
    );
    log(`sse-harness: installing @ai-sdk/react@${version} with npm into ${dir} (once per version)`);
    const r = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', '--no-update-notifier'],
      { cwd: tmp, encoding: 'utf8', timeout: NPM_TIMEOUT_MS },
    );
    if (r.error || r.status !== 0) {
      const out = `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
      if (/ETARGET|No matching version|notarget|E404/i.test(out))
        throw new SdkBuildError(
          `sse-harness: --sdk-version ${version}: npm has no @ai-sdk/react@${version}. Give a published version (npm view @ai-sdk/react versions), or leave the flag out for ${DEFAULT_SDK_VERSION}.`,
        );
      const why = r.error
        ? (r.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'npm is not on PATH'
          : r.error.message
        : npmFailure(out) || `npm exited with ${r.status}`;
      throw new SdkBuildError(
        `sse-harness: --sdk-version ${version}: npm could not install @ai-sdk/react@${version} (${why.slice(0, 200)}). Check that npm reaches its registry (npm ping), then run again.`,
      );
    }
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another run put the same version in place first.
      if (!existsSync(join(dir, 'node_modules', '@ai-sdk', 'react', 'package.json'))) throw e;
    }
    return dir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The installed version of a package in an install folder, for the report. */
export function installedVersion(dir: string, pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/**
 * Bundles the fixture app against an installed version; returns the folder to serve (index.html, app.js, style.css).
 * The sources are copied next to the install first, so every bare import resolves in its node_modules and nowhere
 * else (a project's own React above the harness's folder must not be picked up).
 */
export function bundleApp(installDir: string, appDir = AI_SDK_APP_DIR): string {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const sources = readdirSync(appDir).filter((f) => /\.(jsx?|css|html)$/.test(f));
  const hash = createHash('sha256').update(esbuild.version);
  for (const f of sources.sort()) hash.update(`\0${f}\0`).update(readFileSync(join(appDir, f)));
  const out = join(installDir, `app-${hash.digest('hex').slice(0, 16)}`);
  const www = join(out, 'www');
  if (existsSync(join(www, 'app.js'))) return www;
  const tmp = mkdtempSync(join(installDir, '.app-'));
  try {
    mkdirSync(join(tmp, 'src'));
    mkdirSync(join(tmp, 'www'));
    for (const f of sources) writeFileSync(join(tmp, 'src', f), readFileSync(join(appDir, f)));
    for (const f of STATIC_FILES) writeFileSync(join(tmp, 'www', f), readFileSync(join(appDir, f)));
    const r = esbuild.buildSync({
      absWorkingDir: tmp,
      entryPoints: [join(tmp, 'src', 'app.jsx')],
      outfile: join(tmp, 'www', 'app.js'),
      bundle: true,
      format: 'esm',
      jsx: 'automatic',
      target: ['es2020'],
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    if (r.errors.length) throw new SdkBuildError(`sse-harness: bundling the ai-sdk app failed: ${r.errors[0]!.text}`);
    try {
      renameSync(tmp, out);
    } catch (e) {
      if (!existsSync(join(www, 'app.js'))) throw e;
    }
    return www;
  } catch (e) {
    if (e instanceof SdkBuildError) throw e;
    const first = (e as { errors?: { text: string }[] }).errors?.[0]?.text ?? (e as Error).message;
    throw new SdkBuildError(
      `sse-harness: bundling the ai-sdk app against ${installDir} failed (${first.split('\n')[0]!.slice(0, 200)}). Delete that folder to install the version again.`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
