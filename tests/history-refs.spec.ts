// The --refs grammar and its resolution against a small git history; no browser.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRefs, pickFrom, resolveRefs } from '../harness/history/refs.ts';
import { runCli } from './support/cli.ts';
import { UiRepo } from './support/ui-repo.ts';

test('the grammar: lists, ranges with open ends, picks', () => {
  expect(parseRefs('v1, main ,abc123')).toEqual([
    { kind: 'ref', text: 'v1', ref: 'v1' },
    { kind: 'ref', text: 'main', ref: 'main' },
    { kind: 'ref', text: 'abc123', ref: 'abc123' },
  ]);
  expect(parseRefs('a..b')).toEqual([{ kind: 'range', text: 'a..b', from: 'a', to: 'b', pick: undefined }]);
  expect(parseRefs('a..')[0]).toMatchObject({ kind: 'range', from: 'a', to: undefined });
  expect(parseRefs('..b')[0]).toMatchObject({ kind: 'range', from: undefined, to: 'b' });
  expect(parseRefs('a..:spread:5')[0]).toMatchObject({
    kind: 'range',
    from: 'a',
    to: undefined,
    pick: { kind: 'spread', n: 5 },
  });
  expect(parseRefs('every:3')[0]).toMatchObject({
    kind: 'range',
    from: undefined,
    to: undefined,
    pick: { kind: 'every', n: 3 },
  });
  expect(parseRefs('..b:last:2')[0]).toMatchObject({ kind: 'range', to: 'b', pick: { kind: 'last', n: 2 } });
  expect(parseRefs('HEAD~3,v1..v2:every:2').map((p) => p.kind)).toEqual(['ref', 'range']);
});

test('entries that make no sense are one sentence naming the entry', () => {
  const cases: [string, RegExp][] = [
    ['', /^sse-harness: --refs is empty/],
    ['v1,,v2', /--refs "v1,,v2": an empty entry between commas/],
    ['every:0', /--refs "every:0": every needs a whole number of at least 1, not "0"/],
    ['v1..:spread:x', /--refs "v1\.\.:spread:x": spread needs a whole number/],
    ['often:3', /--refs "often:3": unknown pick "often"/],
    ['v1..v2:last', /--refs "v1\.\.v2:last": "last" is not a pick: every:N, spread:N or last:N/],
    ['v1:every:2', /--refs "v1:every:2": a pick applies to a range/],
    ['a...b', /--refs "a\.\.\.b": a range is A\.\.B \(two dots\)/],
    ['a..b..c', /--refs "a\.\.b\.\.c": a range has one "\.\."/],
    ['a..b:every:2:3', /--refs "a\.\.b:every:2:3": too many ":"/],
    ['my tag', /--refs "my tag": a ref has no spaces/],
  ];
  for (const [spec, message] of cases) expect(() => parseRefs(spec), spec).toThrow(message);
});

test('picks: every Nth with the newest, N evenly spread with both ends, the newest N', () => {
  const xs = Array.from({ length: 10 }, (_, i) => i);
  expect(pickFrom(xs, { kind: 'every', n: 3 })).toEqual([0, 3, 6, 9]);
  expect(pickFrom(xs, { kind: 'every', n: 4 })).toEqual([0, 4, 8, 9]);
  expect(pickFrom(xs, { kind: 'every', n: 1 })).toEqual(xs);
  expect(pickFrom(xs, { kind: 'spread', n: 4 })).toEqual([0, 3, 6, 9]);
  expect(pickFrom(xs, { kind: 'spread', n: 3 })).toEqual([0, 5, 9]);
  expect(pickFrom(xs, { kind: 'spread', n: 2 })).toEqual([0, 9]);
  expect(pickFrom(xs, { kind: 'spread', n: 1 })).toEqual([9]);
  expect(pickFrom(xs, { kind: 'spread', n: 30 })).toEqual(xs);
  expect(pickFrom(xs, { kind: 'last', n: 3 })).toEqual([7, 8, 9]);
  expect(pickFrom([], { kind: 'spread', n: 3 })).toEqual([]);
});

test.describe('resolution against a repository', () => {
  let tmp: string;
  let repo: UiRepo;
  const labels = (spec: string, opts = {}) => resolveRefs(repo.dir, spec, opts).map((r) => r.label);

  test.beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sse-harness-refs-test-'));
    repo = new UiRepo(join(tmp, 'ui'));
    // main: v2 (annotated) v9 v10 (and a later alias on the same commit: the older name stands) v11 v12 · untagged · v20; a side branch off v9
    // with its own tag; a tag of a tree, which is no release.
    repo.commit('one');
    repo.tag('v2', { annotated: true });
    repo.commit('two');
    repo.tag('v9');
    repo.git('checkout', '-q', '-b', 'side');
    repo.commit('side work');
    repo.tag('side-1');
    repo.git('checkout', '-q', 'main');
    repo.commit('three');
    repo.tag('v10');
    repo.tag('alias-v10', { annotated: true });
    repo.commit('four');
    repo.tag('v11', { annotated: true });
    repo.commit('five');
    repo.tag('v12');
    repo.commit('untagged');
    repo.commit('seven <b>');
    repo.tag('v20');
    repo.tag('tree-tag', { at: 'HEAD^{tree}' });
  });
  test.afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('ranges of tags follow the history, not string order, and leave out tags off the path', () => {
    expect(labels('v2..v20')).toEqual(['v2', 'v9', 'v10', 'v11', 'v12', 'v20']);
    expect(labels('v9..v11')).toEqual(['v9', 'v10', 'v11']);
    expect(labels('..v10')).toEqual(['v2', 'v9', 'v10']);
    expect(labels('v11..')).toEqual(['v11', 'v12', 'v20']);
    // Every tag: the side branch's too, in its place by history; the tree's tag is not a release.
    expect(labels('..')).toEqual(['v2', 'v9', 'side-1', 'v10', 'v11', 'v12', 'v20']);
  });

  test('picks, lists and ends that are not tags', () => {
    expect(labels('v2..v20:every:2')).toEqual(['v2', 'v10', 'v12', 'v20']);
    expect(labels('v2..v20:spread:3')).toEqual(['v2', 'v11', 'v20']);
    expect(labels('v2..v20:last:2')).toEqual(['v12', 'v20']);
    expect(labels('every:3')).toEqual(['v2', 'v10', 'v20']);
    // A list comes out in history order, each commit once, under the first name given to it.
    expect(labels('v20,v2,v10,alias-v10,v2')).toEqual(['v2', 'v10', 'v20']);
    expect(labels('v11,v9..v11')).toEqual(['v9', 'v10', 'v11']);
    // A branch or commit as an end is part of the range.
    expect(labels('v12..main~1')).toEqual(['v12', 'main~1']);
    // An end on a tagged commit is shown under the tag's name.
    expect(labels('v12..main')).toEqual(['v12', 'v20']);
    expect(labels(`${repo.commits[0]!.slice(0, 8)}..v10`)).toEqual(['v2', 'v9', 'v10']);
    const [row] = resolveRefs(repo.dir, 'v20');
    expect(row).toMatchObject({ label: 'v20', commit: repo.commits[repo.commits.length - 1], subject: 'seven <b>' });
    expect(row!.date).toMatch(/^2026-01-01T/);
  });

  test('--commits walks commits; --tag-pattern narrows the releases', () => {
    const untagged = repo.commits[6]!.slice(0, 10);
    expect(labels('v11..v20', { commits: true })).toEqual(['v11', repo.commits[5]!.slice(0, 10), untagged, 'v20']);
    expect(labels('v11..v20:every:2', { commits: true })).toEqual(['v11', untagged, 'v20']);
    expect(labels('v11..', { commits: true })).toEqual([
      'v11',
      repo.commits[5]!.slice(0, 10),
      untagged,
      repo.commits[7]!.slice(0, 10),
    ]);
    expect(labels('..', { tagPattern: 'v1*' })).toEqual(['v10', 'v11', 'v12']);
  });

  test('refs the repository lacks and ranges the wrong way round are errors naming them', () => {
    expect(() => labels('nope')).toThrow(/^sse-harness: --refs nope: no such commit, tag or branch in /);
    expect(() => labels('v2,nope2')).toThrow(/--refs nope2: no such commit/);
    expect(() => labels('v2..nope')).toThrow(/--refs "v2\.\.nope": nope: no such commit/);
    expect(() => labels('v20..v2')).toThrow(
      /--refs "v20\.\.v2": v20 is not an ancestor of v2: a range runs from an older ref to a newer one/,
    );
    expect(() => labels('side-1..v20')).toThrow(/side-1 is not an ancestor of v20/);
    expect(() => labels('..', { tagPattern: 'x*' })).toThrow(/--refs "\.\.": no tag matches --tag-pattern x\*/);
  });

  test('the sweep command: a bad ref exits 2 naming it before any browser starts; --dry-run lists the refs', async () => {
    const bad = await runCli(['sweep', 'scenarios/switch-return.yaml', '--repo', repo.dir, '--refs', 'v2,v3']);
    expect(bad.code, bad.explain()).toBe(2);
    expect(bad.stderr.trim()).toBe(`sse-harness: --refs v3: no such commit, tag or branch in ${repo.dir}.`);
    const grammar = await runCli([
      'sweep',
      'scenarios/switch-return.yaml',
      '--repo',
      repo.dir,
      '--refs',
      'v2..v20:every',
    ]);
    expect(grammar.code).toBe(2);
    expect(grammar.stderr).toContain('--refs "v2..v20:every": "every" is not a pick: every:N, spread:N or last:N');
    const noRepo = await runCli(['sweep', 'scenarios/switch-return.yaml', '--repo', 'TMP/none', '--refs', 'v2']);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toMatch(/--repo \S+none: no such folder/);
    const dry = await runCli([
      'sweep',
      'scenarios/switch-return.yaml',
      '--repo',
      repo.dir,
      '--refs',
      'v9..v20:spread:3',
      '--dry-run',
    ]);
    expect(dry.code, dry.explain()).toBe(0);
    expect(
      dry.stdout
        .split('\n')
        .slice(0, 3)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['v9', 'v11', 'v20']);
    expect(dry.stdout).toContain('3 refs × 1 run each');
  });
});
