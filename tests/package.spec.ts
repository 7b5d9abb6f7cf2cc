// The harness as a user installs it: `npm pack`, a fresh project that installs the tarball and @playwright/test, the
// Playwright example run with `npx playwright test`, the custom-target example's script run, and nothing written
// inside node_modules/sse-harness. Slow: it builds, packs and installs (the registry's packages from npm's cache when
// they are there), then drives Chromium twice.
import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { findChromium } from '../harness/driver/chromium.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { ROOT } from './support/cli.ts';

// The two tests are independent and slow: on two workers they run side by side.
test.describe.configure({ mode: 'parallel' });

const childEnv = (): NodeJS.ProcessEnv =>
  // The machine's environment without this test runner's own (a nested Playwright would read them as its own).
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(PW_|TEST_|PLAYWRIGHT_(?!BROWSERS_PATH)|NODE_OPTIONS$|SSE_HARNESS_BUILD_DIR$)/.test(k),
    ),
  );

/** Runs a command to its end; never rejects, so the assertion can show what it printed. */
function sh(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = execFile(
      cmd,
      args,
      { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (err, stdout, stderr) => {
        done({
          code: err ? ((typeof err.code === 'number' ? err.code : null) ?? child.exitCode ?? -1) : 0,
          out: `$ ${cmd} ${args.join(' ')}\n${stdout}\n${stderr}`,
        });
      },
    );
  });
}

/** Every file under dir with its size and modification time: what "nothing was written there" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out[relative(dir, p)] = `${s.size} ${s.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

test('installed from its tarball: the Playwright example passes and the custom-target example runs', async () => {
  test.slow();
  const chromium = findChromium();
  test.skip(!chromium, "no Chromium here (Playwright's or the system's): see npx sse-harness doctor");
  const tmp = mkdtempSync(join(tmpdir(), 'sse-harness-package-'));
  try {
    // A cache folder of their own, so that what the bin writes there can be seen.
    const env = childEnv();
    env.XDG_CACHE_HOME = join(tmp, 'cache');
    if (chromium!.source === 'system') env.SSE_HARNESS_CHROMIUM = chromium!.path;

    const packs = join(tmp, 'packs');
    mkdirSync(packs);
    const pack = await sh('npm', ['pack', '--pack-destination', packs], ROOT, env);
    expect(pack.code, pack.out).toBe(0);
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
    expect(tarballs, pack.out).toHaveLength(1);
    const tarball = join(packs, tarballs[0]!);

    // The fresh project: the custom-target example, depending on the tarball instead of this checkout.
    const project = join(tmp, 'project');
    cpSync(join(ROOT, 'examples', 'custom-target'), project, {
      recursive: true,
      filter: (f) => !/node_modules|reports/.test(relative(ROOT, f)),
    });
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    manifest.devDependencies['sse-harness'] = `file:${tarball}`;
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project, env);
    expect(install.code, install.out).toBe(0);
    const installed = join(project, 'node_modules', 'sse-harness');
    const before = snapshot(installed);
    expect(Object.keys(before)).toContain(join('dist', 'playwright', 'reporter.js'));
    expect(Object.keys(before).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);

    // examples/playwright copied in, as its README says: the fixture, the matchers and the reporter from the package.
    cpSync(join(ROOT, 'examples', 'playwright'), join(project, 'playwright'), { recursive: true });
    const pw = await sh('npx', ['playwright', 'test', '-c', 'playwright', '--project', 'chromium'], project, env);
    expect(pw.code, pw.out).toBe(0);
    expect(pw.out).toMatch(/3 passed/);
    // The reporter's outputDir is read from the working folder (Playwright's junit reporter reads its own from the config's).
    const pwReport = reportSchema.parse(
      JSON.parse(readFileSync(join(project, 'reports', 'sse-harness', 'latest.json'), 'utf8')),
    );
    expect(pwReport.results.map((r) => r.verdict)).toEqual(['pass', 'pass', 'pass']);

    // The package root's defineConfig and a config naming the target module, checked without a browser.
    writeFileSync(
      join(project, 'check.config.ts'),
      `import { defineConfig } from 'sse-harness';\nexport default defineConfig({ scenarios: ['scenario.yaml'], target: './target.ts', appDir: './ui' });\n`,
    );
    const configured = await sh('npx', ['sse-harness', 'validate', '--config', 'check.config.ts'], project, env);
    expect(configured.code, configured.out).toBe(0);
    expect(configured.out).toContain('1 of 1 scenario files valid');

    const run = await sh('npm', ['run', 'harness'], project, env);
    expect(run.code, run.out).toBe(0);
    const report = reportSchema.parse(JSON.parse(readFileSync(join(project, 'reports', 'latest.json'), 'utf8')));
    // The report names the target by its name, not by the module's path.
    expect(report.target).toBe('pocket-chat');
    expect(report.results.map((r) => [r.scenario, r.verdict])).toEqual([['pocket-switch', 'pass']]);

    expect(snapshot(installed)).toEqual(before);
    // The bin ran the shipped JavaScript: no bundle was made, in the package or in a cache.
    expect(existsSync(join(tmp, 'cache', 'sse-harness'))).toBe(false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('sources inside node_modules: the bin bundles them into the cache folder, never beside them', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sse-harness-package-'));
  try {
    // A package with sources and no dist/ (as from a git dependency), its packages those of this checkout but tsx:
    // a command that ran from the sources through tsx instead of from the bundle would fail.
    const pkg = join(tmp, 'project', 'node_modules', 'sse-harness');
    for (const d of ['bin', 'harness', 'scenarios', 'package.json'])
      cpSync(join(ROOT, d), join(pkg, d), { recursive: true });
    mkdirSync(join(pkg, 'node_modules'));
    for (const m of readdirSync(join(ROOT, 'node_modules')))
      if (m !== 'tsx' && m !== '.bin') symlinkSync(join(ROOT, 'node_modules', m), join(pkg, 'node_modules', m));
    const before = snapshot(pkg);
    const env = { ...childEnv(), XDG_CACHE_HOME: join(tmp, 'cache') };
    const validate = () =>
      sh(process.execPath, [join(pkg, 'bin', 'sse-harness.js'), 'validate'], join(tmp, 'project'), env);
    const first = await validate();
    expect(first.code, first.out).toBe(0);
    const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).length;
    expect(first.out).toContain(`${files} of ${files} scenario files valid`);
    expect(snapshot(pkg)).toEqual(before);
    const [folder, ...others] = readdirSync(join(tmp, 'cache', 'sse-harness'));
    expect(others).toEqual([]);
    const cached = join(tmp, 'cache', 'sse-harness', folder!);
    const bundle = readdirSync(cached).find((f) => /^cli-[0-9a-f]{16}\.mjs$/.test(f));
    expect(bundle, readdirSync(cached).join(', ')).toBeDefined();
    // And it is run as it is the next time: one that says so proves it.
    writeFileSync(
      join(cached, bundle!),
      `export async function main() { console.log('ran the cached bundle'); return 0; }\n`,
    );
    const second = await validate();
    expect(second.out).toContain('ran the cached bundle');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
