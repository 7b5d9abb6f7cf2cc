// Where a shown answer first leaves its script, and how: text lost, doubled, another session's, reordered, extra,
// changed, or an answer that stops short. A pure function of the texts, so the runner can classify at the moment it
// reads the UI (where both texts and every session's script are at hand) and tests need no browser.
import { printable } from '../printable.ts';
import type { Divergence, TimelineEvent } from '../timeline.ts';

export type { Divergence, DivergenceKind } from '../timeline.ts';

/** Characters of context kept on each side of the divergence. */
export const CONTEXT = 40;
/** Fewest characters that must match for a piece of shown text to count as coming from a place in a script. */
const MIN_MATCH = 8;
/** Searching: the first characters looked up, how many places are tried, how far a match is followed. */
const PROBE = 16;
const MAX_CANDIDATES = 200;
const MAX_EXTEND = 4096;

export interface OtherScript {
  /** How the session is named in the scenario (its alias). */
  session: string;
  /** The answer the backend scripted for it. */
  text: string;
}

function commonPrefix(a: string, b: string, aFrom = 0, bFrom = 0, limit = Infinity): number {
  const n = Math.min(a.length - aFrom, b.length - bFrom, limit);
  let i = 0;
  while (i < n && a.charCodeAt(aFrom + i) === b.charCodeAt(bFrom + i)) i++;
  return i;
}

/**
 * Where in `script` the shown text from `from` on comes from: the place whose text matches it longest (nearest to
 * `near` on a tie, so a repeated phrase resolves to the closest copy). Null when no place matches MIN_MATCH chars,
 * or all of a shorter rest.
 */
function bestPlace(shown: string, from: number, script: string, near: number): { at: number; length: number } | null {
  const rest = shown.length - from;
  if (rest <= 0) return null;
  const probe = shown.slice(from, from + PROBE);
  let best: { at: number; length: number } | null = null;
  for (let at = script.indexOf(probe), n = 0; at >= 0 && n < MAX_CANDIDATES; at = script.indexOf(probe, at + 1), n++) {
    const length = commonPrefix(shown, script, from, at, MAX_EXTEND);
    if (!best || length > best.length || (length === best.length && Math.abs(at - near) < Math.abs(best.at - near)))
      best = { at, length };
  }
  return best && best.length >= Math.min(MIN_MATCH, rest) && best.length >= Math.min(MIN_MATCH, probe.length)
    ? best
    : null;
}

/**
 * The start of the word the texts first differ in (they agree up to `at`): "lorem0" against "laboris11" differ from
 * their second char, but the word is what differs, and the search for where the shown word comes from starts at it.
 * Unmoved when no whitespace is near (text without spaces).
 */
function wordStart(text: string, at: number): number {
  for (let i = at; i > 0 && at - i < 24; i--) if (/\s/.test(text[i - 1]!)) return i;
  return at > 0 && at < 24 ? 0 : at;
}

/** Both texts around `offset`: the same span of each, CONTEXT chars before and after. */
function windows(shown: string, scripted: string, offset: number): Pick<Divergence, 'from' | 'expected' | 'shown'> {
  const from = Math.max(0, offset - CONTEXT);
  return { from, expected: scripted.slice(from, offset + CONTEXT), shown: shown.slice(from, offset + CONTEXT) };
}

/**
 * The first place where `shown` differs from `scripted` (the start of the first word that differs), or null when they
 * are equal. `others`: the scripts of the
 * run's other sessions, so text that belongs to one of them is named as such. A shown text that is a proper prefix
 * of the script is `truncated` (fine while streaming; a final answer that stopped short).
 */
export function firstDivergence(shown: string, scripted: string, others: OtherScript[] = []): Divergence | null {
  const same = commonPrefix(shown, scripted);
  if (same === shown.length && same === scripted.length) return null;
  if (same === shown.length) {
    return {
      kind: 'truncated',
      offset: same,
      ...windows(shown, scripted, same),
      detail: `the shown text ends at char ${same} of the ${scripted.length} scripted`,
    };
  }
  const offset = wordStart(shown, same);
  const at = (kind: Divergence['kind'], detail: string): Divergence => ({
    kind,
    offset,
    ...windows(shown, scripted, offset),
    detail,
  });

  // The pane shows another session's answer outright: its script matches the shown text further than this one's.
  for (const o of others) {
    if (o.text === scripted) continue;
    const n = commonPrefix(shown, o.text);
    if (n > offset && (n === shown.length || n - offset >= MIN_MATCH)) {
      return at(
        'foreign',
        `the shown text is session ${o.session}'s answer: it matches that script for ${n} chars, this session's for ${offset}`,
      );
    }
  }

  const own = bestPlace(shown, offset, scripted, offset);
  const foreign = others
    .filter((o) => o.text !== scripted)
    .map((o) => ({ session: o.session, place: bestPlace(shown, offset, o.text, offset) }))
    .filter((o) => o.place !== null)
    .sort((a, b) => b.place!.length - a.place!.length)[0];
  if (own && (!foreign || own.length >= foreign.place!.length)) {
    if (own.at < offset) {
      return at(
        'doubled',
        `text already shown appears again: the script's chars ${own.at}–${own.at + own.length} are shown a second time from char ${offset}`,
      );
    }
    // Scripted text skipped: lost, unless the skipped part turns up later in the shown text (out of order).
    const skipped = scripted.slice(offset, own.at);
    const head = skipped.slice(0, Math.max(PROBE, MIN_MATCH));
    const later = shown.indexOf(head, offset + own.length);
    if (later >= 0 && (head.length >= MIN_MATCH || commonPrefix(shown, skipped, later) === skipped.length)) {
      return at(
        'reordered',
        `the script's text from char ${own.at} is shown before its chars ${offset}–${own.at}, which come later (shown at char ${later})`,
      );
    }
    return at(
      'lost',
      `${own.at - offset} scripted chars are missing (the script's chars ${offset}–${own.at}); the shown text goes on from the script's char ${own.at}`,
    );
  }
  if (foreign) {
    return at(
      'foreign',
      `the shown text from char ${offset} is from session ${foreign.session}'s answer (its char ${foreign.place!.at}), not this session's`,
    );
  }
  if (offset === scripted.length)
    return at('extra', `${shown.length - offset} chars past the end of the script, from no session's script`);
  // Text in no script put in, after which the script goes on: an insertion, not a change.
  const next = scripted.slice(offset, offset + PROBE);
  const resumes = shown.indexOf(next, offset + 1);
  if (resumes >= 0 && (next.length >= MIN_MATCH || offset + next.length === scripted.length)) {
    return at(
      'extra',
      `${resumes - offset} chars in no session's script put in; the script goes on at shown char ${resumes}`,
    );
  }
  return at('changed', `the shown text from char ${offset} is in no session's script`);
}

/**
 * The text event for what the UI shows of a session's answer at t: its length against the script's, and, when it is not
 * a prefix of the script, where and how it left it (others: the other sessions' scripts, asked for only then).
 */
export function textEvent(
  t: number,
  session: string,
  shown: string,
  scripted: string,
  others: () => OtherScript[],
): Extract<TimelineEvent, { kind: 'text' }> {
  const prefixOk = scripted.startsWith(shown);
  const divergence = prefixOk ? null : firstDivergence(shown, scripted, others());
  return {
    kind: 'text',
    t,
    session,
    length: shown.length,
    scripted: scripted.length,
    prefixOk,
    ...(divergence ? { divergence } : {}),
  };
}

/** `"…before|after…"` of a window, `before` chars before the divergence and `after` after, for one-line summaries. */
export function quoteAround(d: Pick<Divergence, 'from' | 'offset'>, text: string, before = 16, after = 24): string {
  const at = d.offset - d.from;
  const start = Math.max(0, at - before);
  const end = Math.min(text.length, at + after);
  const cutStart = start > 0 || d.from > 0;
  const cutEnd = end < text.length || text.length === at + CONTEXT;
  return `"${cutStart ? '…' : ''}${printable(text.slice(start, end))}${cutEnd ? '…' : ''}"`;
}

const PHRASE: Record<Divergence['kind'], string> = {
  lost: 'lost text',
  doubled: 'doubled text',
  foreign: "another session's text",
  reordered: 'reordered text',
  extra: 'extra text',
  changed: 'changed text',
  truncated: 'the answer stops short',
};

/** One clause for a summary: `doubled text at char 412: shown "…", expected "…"`. */
export function describeDivergence(d: Divergence): string {
  return `${PHRASE[d.kind]} at char ${d.offset}: shown ${quoteAround(d, d.shown)}, expected ${quoteAround(d, d.expected)}`;
}
