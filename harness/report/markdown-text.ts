// Untrusted text (the UI's words, scenario values, a target's output, ref names) in GitHub Markdown, which the
// summary becomes as a pull-request comment or a job summary.
//
// Such text is shown as written only when it is made of letters, digits, spaces and punctuation that means nothing
// to GitHub (mdText). Anything else goes into a code span or a fenced block whose backtick fence is longer than any
// run of backticks inside it, so the text cannot close it. Inside code nothing is Markdown or HTML: no tag,
// `</details>`, link, image, emphasis, heading or entity comes of it, and GitHub's own filters leave code alone
// (autolinked URLs and e-mail addresses, @mentions, #123 references, :emoji:). Backslash escapes do not reach that
// far: `a\@b.com` and `\@user` are still linked once rendered.
import { printable } from '../printable.ts';

/** A code span's or block's fence: longer than any run of backticks inside, and at least `min` long. */
const fenceFor = (s: string, min: number) =>
  '`'.repeat(Math.max(min, ...[...s.matchAll(/`+/g)].map((m) => m[0].length + 1)));

/**
 * Text as an inline code span, on one line, acting characters escaped, cut at `max`. Text that starts or ends with a
 * backtick or a space is padded with a space each side (CommonMark strips exactly those), so it stays inside as it
 * is. In a table row, pass the whole cell through mdCell: GFM splits cells at `|` before it reads code spans.
 */
export function mdCode(s: unknown, max?: number): string {
  const text = printable(s, { max });
  if (!text) return '';
  const f = fenceFor(text, 1);
  return /^[` ]|[` ]$/.test(text) ? `${f} ${text} ${f}` : `${f}${text}${f}`;
}

/**
 * Characters with no meaning to GitHub's Markdown wherever they stand in a line (never at its start: a run's text
 * follows the harness's own words). A colon only before a space or at the end (`https:` or `:emoji:` need more).
 */
const PLAIN = /^[\p{L}\p{N}\p{Pi}\p{Pf} ,;.:()/"'%+=·→←×…–—≥≤-]*$/u;
const RISKY = /:(?=\S)|www\./iu;

/** Text as written when every character in it is plain (see PLAIN), else as a code span (mdCode). */
export function mdText(s: unknown, max?: number): string {
  const text = printable(s, { max });
  return PLAIN.test(text) && !RISKY.test(text) ? text : mdCode(text, Number.MAX_SAFE_INTEGER);
}

/** A table cell: every `|` escaped, which GFM honours inside code spans too (it shows `|`), and no line break. */
export const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** Lines of text as a fenced code block: line breaks kept, everything else that acts escaped, each line cut. */
export function mdBlock(lines: string[]): string[] {
  const text = lines
    .flatMap((l) => l.split('\n'))
    .map((l) => printable(l))
    .join('\n');
  const f = fenceFor(text, 3);
  return [f, text, f];
}

/** Text inside an HTML element of the summary (`<summary>`), where Markdown is not read: entities only. */
export const mdHtmlText = (s: unknown): string =>
  printable(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
