// A mistake in a scenario file as one line: file:line:col, what was wrong, how to fix it; and the helpers that echo
// the file's own words into that line without letting a 200 KB value or a thousand names through whole.

export type Path = (string | number)[];

export class ScenarioError extends Error {
  /** line and col are 1-based; 0 when the mistake has no place in the file (it cannot be read at all). */
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly problem: string,
    readonly hint?: string,
  ) {
    super(`${file}${line > 0 ? `:${line}:${col}` : ''}: ${problem}${hint ? ` (hint: ${hint})` : ''}`);
    this.name = 'ScenarioError';
  }

  /** An exception the loader did not expect, as one line that says what to do with it (never a stack trace). */
  static internal(file: string, cause: unknown): ScenarioError {
    const message = clip(
      String(cause instanceof Error ? cause.message : cause)
        .split('\n')[0]!
        .trim(),
      200,
    );
    return new ScenarioError(
      file,
      0,
      0,
      `internal error while reading this scenario (${message}); please report it with the file`,
    );
  }
}

/** How much of a value an error line echoes. */
export const ECHO_CHARS = 80;

/** The first `max` characters of `s` (never half a surrogate pair: half an emoji is not text), and how many more. */
function cut(s: string, max: number): { head: string; more: number } {
  if (s.length <= max) return { head: s, more: 0 };
  const end = /[\ud800-\udbff]/.test(s[max - 1]!) ? max - 1 : max;
  return { head: s.slice(0, end), more: s.length - end };
}

/** `s` cut to `max` characters, saying how many more there were. */
export function clip(s: string, max = ECHO_CHARS): string {
  const { head, more } = cut(s, max);
  return more ? `${head}… (${more} more characters)` : s;
}

/** A value from the file, quoted as JSON (control characters escaped) and clipped. */
export function quote(s: string): string {
  const { head, more } = cut(s, ECHO_CHARS);
  return more ? `${JSON.stringify(`${head}…`)} (${more} more characters)` : JSON.stringify(s);
}

/** A list of names for a hint, each clipped, the first `max` of them. */
export function names(list: readonly string[], max = 20): string {
  const shown = list.slice(0, max).map((n) => clip(n, 40));
  return `${shown.join(', ')}${list.length > max ? `, and ${list.length - max} more` : ''}`;
}

export const fmtPath = (path: Path) =>
  path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${clip(p, 40)}` : clip(p, 40)), '');

/** A value as an error line names it: a quoted string, a number, or its kind. */
export const describe = (v: unknown) =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'object'
        ? 'a mapping'
        : typeof v === 'string'
          ? quote(v)
          : String(v);
