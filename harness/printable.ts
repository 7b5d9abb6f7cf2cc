// Untrusted text (the UI's answer, names from its source) made safe to print on one line, in a terminal or a report.

/**
 * Control, bidi and line-separator characters shown as escapes: the text must not move the cursor, clear a screen,
 * reverse a line or break one in two.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
