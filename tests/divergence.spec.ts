// The divergence classifier on its own, no browser: for each way a shown answer can leave its script, the first place
// it does, both texts around it, and the kind.
import { expect, test } from '@playwright/test';
import { CONTEXT, describeDivergence, firstDivergence } from '../harness/oracles/divergence.ts';
import { tokenTexts } from '../harness/mock/player.ts';

/** The generated answer's tokens from..to (exclusive), as the mock scripts them: "lorem0 ipsum1 dolor2 …". */
const tokens = (from: number, to: number) => tokenTexts({ count: to - from }, from).join('');
const script = tokens(0, 60);

test('an answer equal to its script has no divergence', () => {
  expect(firstDivergence(script, script)).toBeNull();
  expect(firstDivergence('', '')).toBeNull();
});

test('doubled: a replayed journal shows the answer again from its start (…tempor17 magna18 lorem0 ipsum1…)', () => {
  const shown = tokens(0, 19) + tokens(0, 30);
  const d = firstDivergence(shown, script)!;
  expect(d.kind).toBe('doubled');
  expect(d.offset).toBe(tokens(0, 19).length);
  expect(d.shown).toContain('tempor17 magna18 lorem0 ipsum1 dolor2');
  expect(d.expected).toContain('tempor17 magna18 aliqua19 veniam20');
  expect(d.detail).toMatch(/the script's chars 0–\d+ are shown a second time/);
  // The windows: CONTEXT chars before the divergence, the same span of both texts.
  expect(d.from).toBe(d.offset - CONTEXT);
  expect(d.shown.slice(0, CONTEXT)).toBe(d.expected.slice(0, CONTEXT));
  expect(d.shown.length).toBe(2 * CONTEXT);
  expect(describeDivergence(d)).toBe(
    `doubled text at char ${d.offset}: shown "…empor17 magna18 lorem0 ipsum1 dolor2 sit…", expected "…empor17 magna18 aliqua19 veniam20 nostru…"`,
  );
});

test('doubled: one token rendered twice', () => {
  const shown = tokens(0, 10) + tokens(9, 30);
  const d = firstDivergence(shown, script)!;
  expect(d.kind).toBe('doubled');
  expect(d.offset).toBe(tokens(0, 10).length);
});

test('lost: the text skips scripted tokens and goes on later in the script', () => {
  const shown = tokens(0, 10) + tokens(15, 40);
  const d = firstDivergence(shown, script)!;
  expect(d.kind).toBe('lost');
  expect(d.offset).toBe(tokens(0, 10).length);
  expect(d.detail).toBe(
    `${tokens(10, 15).length} scripted chars are missing (the script's chars ${tokens(0, 10).length}–${tokens(0, 15).length}); the shown text goes on from the script's char ${tokens(0, 15).length}`,
  );
});

test('the offset is where the first differing word starts, though its first letters agree', () => {
  // "laboris11" against "lorem0": they differ from the second char, the word from the first.
  const d = firstDivergence(tokens(11, 30), script)!;
  expect(d).toMatchObject({ kind: 'lost', offset: 0 });
  expect(d.detail).toContain(`the shown text goes on from the script's char ${tokens(0, 11).length}`);
  // "laboris23" where "lorem12" was scripted.
  const mid = firstDivergence(tokens(0, 12) + tokens(23, 30), script)!;
  expect(mid).toMatchObject({ kind: 'lost', offset: tokens(0, 12).length });
  expect(mid.detail).toBe(
    `${tokens(12, 23).length} scripted chars are missing (the script's chars ${tokens(0, 12).length}–${tokens(0, 23).length}); the shown text goes on from the script's char ${tokens(0, 23).length}`,
  );
});

test('lost: an accumulator that started over shows only the tail, from char 0', () => {
  const d = firstDivergence(tokens(7, 30), script)!;
  expect(d.kind).toBe('lost');
  expect(d.offset).toBe(0);
  expect(d.from).toBe(0);
  expect(d.expected.startsWith('lorem0 ipsum1')).toBe(true);
  expect(d.shown.startsWith('aliqua7 veniam8')).toBe(true);
});

test('reordered: the right pieces in another order', () => {
  const shown = tokens(0, 10) + tokens(12, 15) + tokens(10, 12) + tokens(15, 60);
  expect(shown.length).toBe(script.length);
  const d = firstDivergence(shown, script)!;
  expect(d.kind).toBe('reordered');
  expect(d.offset).toBe(tokens(0, 10).length);
  expect(d.detail).toMatch(/is shown before its chars \d+–\d+, which come later/);
});

test("foreign: the pane shows another session's answer", () => {
  // Session b's short answer is the start of a's long one; the pane still shows a's 30 tokens.
  const b = tokens(0, 5);
  const d = firstDivergence(tokens(0, 30), b, [{ session: 'a', text: script }])!;
  expect(d.kind).toBe('foreign');
  expect(d.offset).toBe(b.length);
  expect(d.detail).toBe(
    `the shown text is session a's answer: it matches that script for ${tokens(0, 30).length} chars, this session's for ${b.length}`,
  );
  // Without the other session's script, the same text is text past the end of b's.
  expect(firstDivergence(tokens(0, 30), b)!.kind).toBe('extra');
});

test("foreign: another session's tokens in the middle of this one's answer", () => {
  const other = 'The quick brown fox jumps over the lazy dog and keeps running';
  const shown = tokens(0, 8) + other.slice(0, 30);
  const d = firstDivergence(shown, script, [{ session: 'c', text: other }])!;
  expect(d.kind).toBe('foreign');
  expect(d.offset).toBe(tokens(0, 8).length);
  expect(d.detail).toBe(
    `the shown text from char ${d.offset} is from session c's answer (its char 0), not this session's`,
  );
});

test('a session whose script equals this one is no foreign source: its text is judged against this script', () => {
  const shown = tokens(0, 19) + tokens(0, 30);
  expect(firstDivergence(shown, script, [{ session: 'a', text: script }])!.kind).toBe('doubled');
});

test('truncated: a final answer that stopped short', () => {
  const d = firstDivergence(tokens(0, 50), script)!;
  expect(d.kind).toBe('truncated');
  expect(d.offset).toBe(tokens(0, 50).length);
  expect(d.shown).toBe(tokens(0, 50).slice(-CONTEXT));
  expect(d.detail).toBe(`the shown text ends at char ${tokens(0, 50).length} of the ${script.length} scripted`);
  expect(firstDivergence('', script)!).toMatchObject({
    kind: 'truncated',
    offset: 0,
    shown: '',
    expected: script.slice(0, CONTEXT),
  });
});

test('extra: text in no script, put in or appended', () => {
  const put = firstDivergence(tokens(0, 10) + '[[retrying…]] ' + tokens(10, 60), script)!;
  expect(put).toMatchObject({ kind: 'extra', offset: tokens(0, 10).length });
  expect(put.detail).toBe(
    `14 chars in no session's script put in; the script goes on at shown char ${tokens(0, 10).length + 14}`,
  );
  const appended = firstDivergence(script + 'undefined', script)!;
  expect(appended).toMatchObject({
    kind: 'extra',
    offset: script.length,
    detail: "9 chars past the end of the script, from no session's script",
  });
});

test('changed: scripted text replaced by text in no script', () => {
  const shown = tokens(0, 10) + tokens(10, 60).toUpperCase();
  const d = firstDivergence(shown, script)!;
  expect(d.kind).toBe('changed');
  expect(d.offset).toBe(tokens(0, 10).length);
});

test('scripted text (tokens: { text }) with repeated words resolves to the copy that matches longest', () => {
  const text = 'the cat sat on the mat and the cat sat on the hat and then the dog came by';
  // "the cat sat on the hat " shown twice: its first chars also match the first "the cat sat on the mat".
  const shown = text.slice(0, 50) + text.slice(27);
  const d = firstDivergence(shown, text)!;
  expect(d.kind).toBe('doubled');
  expect(d.offset).toBe(50);
  expect(d.detail).toContain("the script's chars 27–");
});

test("the summary clause escapes the UI's control characters", () => {
  const d = firstDivergence(tokens(0, 3) + '\u001b[2J\nX', script)!;
  const line = describeDivergence(d);
  // eslint-disable-next-line no-control-regex -- no control character may reach the line
  expect(line).not.toMatch(/[\u0000-\u001f]/);
  expect(line).toContain('\\u001b[2J\\nX');
});

test('long answers: the windows stay bounded', () => {
  const long = tokens(0, 20000);
  const shown = tokens(0, 15000) + tokens(0, 100);
  const started = Date.now();
  const d = firstDivergence(shown, long)!;
  expect(Date.now() - started).toBeLessThan(500);
  expect(d.kind).toBe('doubled');
  expect(d.expected.length).toBe(2 * CONTEXT);
  expect(d.shown.length).toBe(2 * CONTEXT);
});
