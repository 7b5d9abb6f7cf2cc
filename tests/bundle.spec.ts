// bin/sse-harness.js runs the command line from a bundle of harness/ named by a hash of the sources (made once, then
// reused), and from the sources through tsx where no bundle can be made.
import { expect, test } from '@playwright/test';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.ts';

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sse-harness-build-'));
});
test.afterEach(() => rmSync(dir, { recursive: true, force: true }));

const validate = (buildDir: string) =>
  runCli(['validate', 'scenarios/switch-return.yaml'], { SSE_HARNESS_BUILD_DIR: buildDir });

test('the first command makes the bundle, the next ones run it as it is', async () => {
  const first = await validate(dir);
  expect(first.code, first.explain()).toBe(0);
  const files = readdirSync(dir).sort();
  expect(files).toHaveLength(2);
  expect(files[0]).toMatch(/^cli-[0-9a-f]{16}\.mjs$/);
  expect(files[1]).toBe(`${files[0]}.map`);
  const bundle = join(dir, files[0]!);
  const made = statSync(bundle).mtimeMs;

  const second = await validate(dir);
  expect(second.code, second.explain()).toBe(0);
  expect(readdirSync(dir).sort()).toEqual(files);
  expect(statSync(bundle).mtimeMs).toBe(made);

  // What runs is the bundle of that name: one that says so proves it.
  writeFileSync(bundle, `export async function main() { console.log('ran the bundle'); return 0; }\n`);
  const third = await validate(dir);
  expect(third.stdout.trim()).toBe('ran the bundle');
});

test('where no bundle can be made, the sources run through tsx', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const r = await validate(join(file, 'build'));
  expect(r.code, r.explain()).toBe(0);
  expect(r.stdout).toContain('1 of 1 scenario files valid');
});
