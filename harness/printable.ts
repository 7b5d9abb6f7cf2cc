// The one sanitizer for untrusted text (the UI's answer, names from its source, scenario values, ref names, a
// browser's output) on its way to a person: a terminal, a Markdown summary, an HTML report.

/**
 * Characters that act instead of showing: controls (C0, DEL, C1: ESC starts colour and cursor sequences, CR rewrites a
 * line, BS erases), format characters (bidi overrides and isolates reverse what follows, zero-width ones hide text
 * or split a word that looks whole, tag characters carry invisible ASCII) and the Unicode line and paragraph
 * separators. Each is shown as an escape instead.
 */
const ACTING = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Above this many characters, text is cut and the rest counted: a 200 KB value is not echoed whole. */
export const MAX_SHOWN = 2000;

export interface PrintableOptions {
  /** Characters kept before the cut (default MAX_SHOWN). */
  max?: number;
  /** Keep line feeds as they are (text of several lines the caller lays out itself); otherwise shown as \n. */
  keepNewlines?: boolean;
}

function escape(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const n = c.codePointAt(0)!;
  return n > 0xffff ? `\\u{${n.toString(16)}}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** Text cut to `max` characters (code points, so no emoji is split), with "… (N more characters)" for the rest. */
export function truncated(s: string, max = MAX_SHOWN): string {
  if (s.length <= max) return s;
  const points = Array.from(s);
  if (points.length <= max) return s;
  return `${points.slice(0, max).join('')}… (${points.length - max} more characters)`;
}

/** Untrusted text, safe to show: cut to a length, every acting character as a visible escape (\u001b, \u202e, \r). */
export function printable(s: unknown, opts: PrintableOptions = {}): string {
  const text = truncated(String(s), opts.max ?? MAX_SHOWN);
  return text.replace(ACTING, (c) => (c === '\n' && opts.keepNewlines ? c : escape(c)));
}

/** One line, for a table cell, a progress line or an error: line breaks and tabs as one space, the rest escaped and cut. */
export const oneLine = (s: unknown, max?: number): string => printable(String(s).replace(/[\n\t]+/g, ' '), { max });
