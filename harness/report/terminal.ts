// What reaches the terminal. Text from outside the harness (scenario values, the UI's words, a target's or browser's
// output, ref names, commit subjects) could otherwise clear the screen, recolour it, rewrite a line with CR or
// reverse one with a bidi override: every line the harness prints goes through printable() on its way out.
import { printable, type PrintableOptions } from '../printable.ts';

export { oneLine } from '../printable.ts';

/** Text of several lines the harness laid out itself: its line feeds kept, everything else that acts escaped. */
export const terminalText = (s: unknown, opts: Omit<PrintableOptions, 'keepNewlines'> = {}): string =>
  printable(s, { max: Number.MAX_SAFE_INTEGER, ...opts, keepNewlines: true });

/** Writes to stdout, escaped: the only way the command line prints a result. */
export const toStdout = (s: string): void => void process.stdout.write(terminalText(s));

/** Writes to stderr, escaped: the only way the command line prints progress, warnings and errors. */
export const toStderr = (s: string): void => void process.stderr.write(terminalText(s));
