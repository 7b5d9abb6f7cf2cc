// A hermes-webui checkout: that a folder is one, and which version it is.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Checks that dir is a hermes-webui checkout; throws one sentence with the fix otherwise. */
export function hermesAppDir(dir: string | undefined): string {
  if (!dir)
    throw new Error(
      'sse-harness: --target hermes-webui needs --app-dir <path to a hermes-webui checkout> (the folder that holds static/index.html).',
    );
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    throw new Error(
      `sse-harness: --app-dir ${dir}: no such directory. Give the path of a hermes-webui checkout (git clone https://github.com/nesquena/hermes-webui).`,
    );
  if (!existsSync(resolve(abs, 'static', 'index.html')))
    throw new Error(
      `sse-harness: --app-dir ${dir}: no static/index.html there, so it is not a hermes-webui checkout. Give the repository's top folder.`,
    );
  return abs;
}

/** What the report names: `git describe` of the checkout (tag or commit), or 'unknown' outside git. */
export function hermesVersion(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
  try {
    // A plain copy inside some other repository would otherwise be named after that repository.
    if (realpathSync(git('rev-parse', '--show-toplevel')) !== realpathSync(dir)) return 'unknown';
    return git('describe', '--tags', '--always') || 'unknown';
  } catch {
    return 'unknown';
  }
}
