// Which refs of a UI's history to run: a small grammar (`--refs`) and its resolution against the repository, in
// history order (a tag's place is its commit's place in the history, not its name's place in a string sort).
import { commitOf, git, gitIn, isAncestor } from './git.ts';

export const REFS_GRAMMAR = `Refs (--refs), comma-separated entries; the rows come out in history order, oldest first, each commit once:
  REF              a tag, branch or commit (anything git rev-parse takes, without ":" or "..")
  A..B             the tags from A to B in history order, both ends included (tags B contains that contain A)
  A..  ..B  ..     open ends: from A to the newest tag, from the first tag to B, every tag
  RANGE:PICK       only some of a range's tags; PICK alone means every tag (..:PICK)
    every:N          every Nth, from the oldest; the newest always included
    spread:N         N spread evenly, both ends included
    last:N           the newest N
  --commits        ranges walk commits instead of tags (A..B: the commits on the path from A to B; A.. ends at HEAD)
  --tag-pattern G  only tags matching the glob G count (e.g. 'v*')`;

export const REFS_EXAMPLES = `  --refs v0.51.0,exp-v0.52.262             two releases
  --refs v0.51.0..                          every tag from v0.51.0 on
  --refs v0.51.0..:spread:26                26 tags from v0.51.0 to the newest, evenly spread, both ends included
  --refs every:40                           every 40th tag of the repository, and the newest
  --refs v0.50.0,v0.51.0..exp-v0.52.262:every:50
  --refs HEAD~20..HEAD:every:5 --commits    every 5th commit of the last 20`;

export type PickKind = 'every' | 'spread' | 'last';
export interface Pick {
  kind: PickKind;
  n: number;
}

export type RefPart =
  { kind: 'ref'; text: string; ref: string } | { kind: 'range'; text: string; from?: string; to?: string; pick?: Pick };

const HINT = 'see --help for the --refs grammar';

class RefsError extends Error {}
const bad = (part: string, why: string) =>
  new RefsError(`sse-harness: --refs ${JSON.stringify(part)}: ${why}; ${HINT}.`);

function parsePick(part: string, kind: string, n: string): Pick {
  if (kind !== 'every' && kind !== 'spread' && kind !== 'last')
    throw bad(part, `unknown pick "${kind}" (every:N, spread:N or last:N)`);
  if (!/^[1-9][0-9]*$/.test(n)) throw bad(part, `${kind} needs a whole number of at least 1, not "${n}"`);
  return { kind, n: Number(n) };
}

/** Parses a --refs value into its entries; throws one sentence naming the entry that makes no sense. */
export function parseRefs(spec: string): RefPart[] {
  if (!spec.trim())
    throw new RefsError(`sse-harness: --refs is empty; give tags, branches, commits or a range (${HINT}).`);
  return spec.split(',').map((raw) => {
    const text = raw.trim();
    if (!text)
      throw new RefsError(`sse-harness: --refs ${JSON.stringify(spec)}: an empty entry between commas; ${HINT}.`);
    // git forbids ":" and ".." in ref names, so they can only be this grammar's.
    const segs = text.split(':');
    let range = text;
    let pick: Pick | undefined;
    if (segs.length === 2 && segs[0]!.includes('..')) {
      throw bad(text, `"${segs[1]}" is not a pick: every:N, spread:N or last:N`);
    } else if (segs.length === 2) {
      pick = parsePick(text, segs[0]!, segs[1]!);
      range = '..';
    } else if (segs.length === 3) {
      range = segs[0]!;
      pick = parsePick(text, segs[1]!, segs[2]!);
      if (!range.includes('..'))
        throw bad(text, `a pick applies to a range (A..B:${segs[1]}:${segs[2]}), and "${range}" is not one`);
    } else if (segs.length > 3) throw bad(text, 'too many ":"');
    if (!range.includes('..')) {
      if (/\s/.test(range)) throw bad(text, 'a ref has no spaces');
      return { kind: 'ref', text, ref: range };
    }
    if (range.includes('...')) throw bad(text, 'a range is A..B (two dots)');
    const ends = range.split('..');
    if (ends.length !== 2) throw bad(text, 'a range has one ".."');
    const [from, to] = ends.map((e) => e.trim() || undefined);
    return { kind: 'range', text, from, to, pick };
  });
}

/** The items a pick keeps, in their order. */
export function pickFrom<T>(items: T[], pick: Pick): T[] {
  const len = items.length;
  if (!len) return [];
  if (pick.kind === 'last') return items.slice(-pick.n);
  let idx: number[];
  if (pick.kind === 'every') {
    idx = [];
    for (let i = 0; i < len; i += pick.n) idx.push(i);
    if (idx[idx.length - 1] !== len - 1) idx.push(len - 1);
  } else if (pick.n >= len) {
    idx = items.map((_, i) => i);
  } else if (pick.n === 1) {
    idx = [len - 1];
  } else {
    idx = Array.from({ length: pick.n }, (_, i) => Math.round((i * (len - 1)) / (pick.n - 1)));
  }
  return [...new Set(idx)].map((i) => items[i]!);
}

export interface ResolvedRef {
  /** The name a row is shown under: the ref as given, a tag's name, or a commit's short id. */
  label: string;
  commit: string;
  subject: string;
  /** Committer date, ISO 8601. */
  date: string;
}

export interface ResolveOptions {
  /** Ranges walk commits instead of tags. */
  commits?: boolean;
  /** Glob: only tags matching it count as releases. */
  tagPattern?: string;
}

interface Named {
  label: string;
  commit: string;
}

/** Each commit's place in history (parents before children, else by commit date), for the given commits. */
function historyPositions(repo: string, commits: string[]): Map<string, number> {
  const want = new Set(commits);
  const pos = new Map<string, number>();
  if (!want.size) return pos;
  const order = gitIn(repo, [...want].join('\n'), 'rev-list', '--date-order', '--reverse', '--stdin').split('\n');
  order.forEach((c, i) => want.has(c) && pos.set(c, i));
  return pos;
}

/** Tags (optionally matching a glob) with their commits, in history order; tags of the same commit once, the oldest. */
function releaseTags(repo: string, pattern: string | undefined): Named[] {
  const names = git(repo, 'tag', '--list', '--sort=creatordate', ...(pattern ? [pattern] : []))
    .split('\n')
    .filter(Boolean);
  if (!names.length) return [];
  // One process peels every tag to its commit (annotated or not); a tag of a tree or blob answers "missing".
  const peeled = gitIn(
    repo,
    names.map((n) => `refs/tags/${n}^{commit}`).join('\n'),
    'cat-file',
    '--batch-check=%(objectname) %(objecttype)',
  ).split('\n');
  const seen = new Set<string>();
  const tags: Named[] = [];
  names.forEach((label, i) => {
    const m = /^([0-9a-f]{40,64}) commit$/.exec(peeled[i] ?? '');
    if (!m || seen.has(m[1]!)) return;
    seen.add(m[1]!);
    tags.push({ label, commit: m[1]! });
  });
  const pos = historyPositions(
    repo,
    tags.map((t) => t.commit),
  );
  // Stable: tags of commits the walk puts level keep their creation order.
  return tags.sort((a, b) => pos.get(a.commit)! - pos.get(b.commit)!);
}

/**
 * The refs a --refs value names, in history order, each commit once (the first name given to it wins). Throws one
 * sentence naming the entry at fault: a ref the repository does not have, a range whose ends are the wrong way round
 * or that holds nothing.
 */
export function resolveRefs(repo: string, spec: string, opts: ResolveOptions = {}): ResolvedRef[] {
  const parts = parseRefs(spec);
  let tags: Named[] | undefined;
  const allTags = () => (tags ??= releaseTags(repo, opts.tagPattern));
  const commit = (ref: string, part: RefPart) =>
    commitOf(repo, ref, `--refs ${part.text === ref ? ref : `${JSON.stringify(part.text)}: ${ref}`}`);
  const named: Named[] = [];
  for (const part of parts) {
    if (part.kind === 'ref') {
      named.push({ label: part.ref, commit: commit(part.ref, part) });
      continue;
    }
    const from = part.from !== undefined ? commit(part.from, part) : undefined;
    const to =
      part.to !== undefined
        ? commit(part.to, part)
        : opts.commits
          ? commitOf(repo, 'HEAD', `--refs ${JSON.stringify(part.text)}: HEAD`)
          : undefined;
    if (from && to && !isAncestor(repo, from, to)) {
      throw bad(
        part.text,
        `${part.from} is not an ancestor of ${part.to ?? 'HEAD'}: a range runs from an older ref to a newer one in its history`,
      );
    }
    let items: Named[];
    if (opts.commits) {
      const path = git(
        repo,
        'rev-list',
        '--date-order',
        '--reverse',
        ...(from ? ['--ancestry-path', `${from}..${to}`] : [to!]),
      )
        .split('\n')
        .filter(Boolean);
      items = [
        ...(from ? [{ label: part.from!, commit: from }] : []),
        ...path.map((c) => ({ label: c.slice(0, 10), commit: c })),
      ];
      if (part.to !== undefined && items.length) items[items.length - 1] = { label: part.to, commit: to! };
    } else {
      const all = allTags();
      if (!all.length)
        throw bad(
          part.text,
          opts.tagPattern
            ? `no tag matches --tag-pattern ${opts.tagPattern}`
            : 'the repository has no tags (add --commits to walk commits)',
        );
      const inside = new Set(
        git(
          repo,
          'tag',
          '--list',
          ...(from ? ['--contains', from] : []),
          ...(to ? ['--merged', to] : []),
          ...(opts.tagPattern ? [opts.tagPattern] : []),
        )
          .split('\n')
          .filter(Boolean),
      );
      items = all.filter((t) => inside.has(t.label));
      // Both ends belong to the range even when they are not tags (a branch, a commit).
      if (from && !items.some((t) => t.commit === from)) items.unshift({ label: part.from!, commit: from });
      if (to && part.to !== undefined && !items.some((t) => t.commit === to))
        items.push({ label: part.to, commit: to });
    }
    if (!items.length) throw bad(part.text, `no ${opts.commits ? 'commits' : 'tags'} in that range`);
    named.push(...(part.pick ? pickFrom(items, part.pick) : items));
  }
  const once = new Map<string, Named>();
  for (const n of named) if (!once.has(n.commit)) once.set(n.commit, n);
  const pos = historyPositions(repo, [...once.keys()]);
  const ordered = [...once.values()].sort((a, b) => pos.get(a.commit)! - pos.get(b.commit)!);
  const info = new Map(
    gitIn(
      repo,
      ordered.map((n) => n.commit).join('\n'),
      'log',
      '--no-walk=unsorted',
      '--stdin',
      '--format=%H%x09%cI%x09%s',
    )
      .split('\n')
      .map((l) => {
        const [c, date, ...s] = l.split('\t');
        return [c!, { date: date!, subject: s.join('\t') }] as const;
      }),
  );
  return ordered.map((n) => ({
    ...n,
    subject: info.get(n.commit)?.subject ?? '',
    date: info.get(n.commit)?.date ?? '',
  }));
}
