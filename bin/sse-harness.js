#!/usr/bin/env node
// npm bin entry: runs the CLI in-process, so signals reach its cleanup directly.
//
// An installed package ships the CLI as JavaScript (dist/, made by `npm run build` when it is packed) and no
// TypeScript sources: that runs as it is, and nothing is written anywhere.
//
// A checkout runs its sources, from a bundle of harness/ that esbuild makes, named by a hash of the sources, so an
// edited source is never run stale: a command then starts sooner and uses less CPU than through tsx, whose hooks
// handle every module import on another thread on Node 20. The bundle goes to .build/ in the checkout, or, when the
// checkout cannot be written or lies inside node_modules (never written to), to a cache folder of the user's
// ($XDG_CACHE_HOME/sse-harness or ~/.cache/sse-harness); SSE_HARNESS_BUILD_DIR names another. Where the bundle cannot
// be made or written (esbuild missing, no writable folder), tsx runs the sources.
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'harness');

/** Where the bundle goes: never inside node_modules, nor in a checkout that cannot be written. */
function buildDir() {
  if (process.env.SSE_HARNESS_BUILD_DIR) return process.env.SSE_HARNESS_BUILD_DIR;
  let writable = !root.split(sep).includes('node_modules');
  try {
    if (writable) accessSync(root, constants.W_OK);
  } catch {
    writable = false;
  }
  if (writable) return join(root, '.build');
  // One folder per checkout: two installs sharing the cache do not remove each other's bundles.
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'sse-harness', createHash('sha256').update(root).digest('hex').slice(0, 12));
}

/** Every TypeScript source under harness/, in a stable order. */
function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

async function bundled() {
  const dir = buildDir();
  const hash = createHash('sha256');
  for (const f of tsFiles(sources)) hash.update(relative(sources, f)).update('\0').update(readFileSync(f)).update('\0');
  const name = `cli-${hash.digest('hex').slice(0, 16)}.mjs`;
  const bundle = join(dir, name);
  if (!existsSync(bundle)) {
    const { build, stop } = await import('esbuild');
    const out = await build({
      entryPoints: [join(sources, 'cli.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      sourcemap: 'linked',
      write: false,
      logLevel: 'silent',
      // The bundle may live far from the checkout (a cache folder): the packages it imports are named by their
      // resolved URLs, and import.meta.url (which paths.ts and every createRequire read) is the sources' own.
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(sources, 'cli.ts')).href) },
      plugins: [
        {
          name: 'packages-of-the-checkout',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path.startsWith('node:')) return { path: args.path, external: true };
              try {
                return { path: import.meta.resolve(args.path), external: true };
              } catch {
                return { path: args.path, external: true }; // not installed: fails where it is imported, as from the sources
              }
            });
          },
        },
      ],
    }).finally(stop); // esbuild's service process: not left running beside the command
    mkdirSync(dir, { recursive: true });
    // Written under names of this process's own, then renamed into place: commands started together may build at once.
    for (const f of out.outputFiles.sort((a) => (a.path.endsWith('.map') ? -1 : 1))) {
      writeFileSync(`${f.path}.${process.pid}`, f.contents);
      renameSync(`${f.path}.${process.pid}`, f.path);
    }
    for (const old of readdirSync(dir))
      if (old.startsWith('cli-') && !old.startsWith(name)) rmSync(join(dir, old), { force: true });
  }
  return bundle;
}

let cli;
if (!existsSync(join(sources, 'cli.ts')) && existsSync(join(root, 'dist', 'cli.js'))) {
  cli = await import('../dist/cli.js');
} else {
  try {
    // Its source map is written beside it; `node --enable-source-maps bin/sse-harness.js` maps stack traces to the
    // sources (0.1 s more a start, so not by default; the bundle names each source file in a comment anyway).
    cli = await import(pathToFileURL(await bundled()).href);
  } catch {
    const { register } = await import('tsx/esm/api');
    register();
    cli = await import('../harness/cli.ts');
  }
}
process.exit(await cli.main());
