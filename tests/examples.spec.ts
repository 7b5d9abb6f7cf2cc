// The example workflows: every `sse-harness` command in them names a command the CLI has, and every option it gives
// is one that command takes, with a value its parser accepts. No browser and nothing run: a renamed flag or a
// tightened range fails here, not in a user's CI.
import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../harness/cli.ts';
import { ROOT } from './support/cli.ts';

const files = ['examples', 'examples/workflows'].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('.known.yaml'))
    .map((f) => join(ROOT, d, f)),
);

/** Every `run:` text of every step of every job. */
function runTexts(file: string): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as { jobs?: Record<string, { steps?: { run?: string }[] }> };
  return Object.values(doc.jobs ?? {}).flatMap((j) => (j.steps ?? []).flatMap((s) => (s.run ? [s.run] : [])));
}

/** The words of one shell command line: quotes removed, a GitHub expression standing for a plain value. */
function words(line: string): string[] {
  const plain = line.replace(/\$\{\{[^}]*\}\}/g, '1');
  return [...plain.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The sse-harness invocations in a run text: the arguments after `npx sse-harness` or `node bin/sse-harness.js`. */
function invocations(text: string): string[][] {
  return text
    .split('\n')
    .map(words)
    .flatMap((w) => {
      const at = w.findIndex((x, i) => (x === 'sse-harness' && w[i - 1] === 'npx') || x === 'bin/sse-harness.js');
      return at < 0 ? [] : [w.slice(at + 1)];
    });
}

/** Checks args as the command would parse them; returns what is wrong, or nothing. */
function problems(args: string[]): string[] {
  const program = buildProgram();
  const named = program.commands.find((c) => c.name() === args[0]);
  const cmd: Command = named ?? program.commands.find((c) => c.name() === 'run')!;
  const rest = named ? args.slice(1) : args;
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.startsWith('-') || word === '-') continue;
    const [flag, inline] = word.includes('=')
      ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]
      : [word];
    const option = cmd.options.find((o: Option) => o.long === flag || o.short === flag);
    if (!option) {
      out.push(`${cmd.name()}: unknown option ${flag}`);
      continue;
    }
    if (!option.required && !option.optional) continue;
    const value = inline ?? rest[++i];
    if (value === undefined) {
      out.push(`${cmd.name()} ${flag}: no value`);
      continue;
    }
    try {
      option.parseArg?.(value, undefined);
      if (option.argChoices && !option.argChoices.includes(value)) throw new Error(`not one of ${option.argChoices}`);
    } catch (e) {
      out.push(`${cmd.name()} ${flag} ${value}: ${(e as Error).message}`);
    }
  }
  return out;
}

test("the example workflows drive the user's app through the installed package", () => {
  for (const name of ['pr-gate.yml', 'nightly-soak.yml']) {
    const texts = runTexts(join(ROOT, 'examples', 'workflows', name));
    expect(
      texts.some((t) => /^npm ci\b/m.test(t)),
      `${name} installs the app's dependencies`,
    ).toBe(true);
    const calls = texts.flatMap(invocations);
    expect(calls.length, `${name} runs sse-harness`).toBeGreaterThan(0);
    // From the package the app installed, not a checkout of the harness beside it.
    for (const t of texts) expect(t, name).not.toMatch(/bin\/sse-harness\.js|npm run setup/);
  }
});

for (const file of files) {
  test(`${relative(ROOT, file)}: every sse-harness command parses`, () => {
    const calls = runTexts(file).flatMap(invocations);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.flatMap(problems)).toEqual([]);
  });
}

test('the check bites: an unknown option, a value out of range and a missing value are each named', () => {
  expect(problems(['run', '--browser', 'chromium', '--no-such-flag'])).toEqual(['run: unknown option --no-such-flag']);
  expect(problems(['run', '--workers', '99'])).toEqual(['run --workers 99: expected a whole number from 1 to 32']);
  expect(problems(['sweep', 'x.yaml', '--shard'])).toEqual(['sweep --shard: no value']);
  expect(
    invocations('npx sse-harness run --retries 1\nnode bin/sse-harness.js sweep --refs "${{ inputs.refs }}"'),
  ).toEqual([
    ['run', '--retries', '1'],
    ['sweep', '--refs', '1'],
  ]);
});
