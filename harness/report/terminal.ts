// Text from outside the harness (a commit subject, a tag, the UI's own words in an error) printed to a terminal:
// control characters could move the cursor or recolour the screen, so each becomes a visible "?".
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

export const plain = (s: unknown): string => String(s).replace(CONTROL, '?');

/** One line, for a table cell or a progress line: newlines and tabs as spaces too. */
export const oneLine = (s: unknown): string => plain(String(s).replace(/[\r\n\t]+/g, ' '));
