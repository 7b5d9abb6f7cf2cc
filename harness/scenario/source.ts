// A scenario file's text, read only when it is a small regular file of UTF-8: a named pipe would block the read for
// good, a device would never end, and broken bytes would surface later as a puzzling YAML error.
import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { ScenarioError } from './error.ts';
import { MAX_FILE_BYTES } from './limits.ts';

const kindOf = (st: Stats) =>
  st.isDirectory()
    ? 'a folder'
    : st.isFIFO()
      ? 'a named pipe (FIFO)'
      : st.isSocket()
        ? 'a socket'
        : st.isCharacterDevice()
          ? 'a character device'
          : st.isBlockDevice()
            ? 'a block device'
            : 'not a regular file';

/** The text of `path`, or a ScenarioError naming `shown` and what is wrong with the file as a whole. */
export function readScenarioText(path: string, shown: string): string {
  const refuse = (problem: string, hint: string): never => {
    throw new ScenarioError(shown, 1, 1, problem, hint);
  };
  const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);
  const regular = (st: Stats) => {
    if (!st.isFile()) refuse(`not a regular file: this is ${kindOf(st)}`, 'give a .yaml scenario file');
    if (st.size > MAX_FILE_BYTES)
      refuse(
        `the file is ${st.size} bytes; a scenario file may be at most ${MAX_FILE_BYTES} (1 MiB)`,
        'split it into smaller scenarios',
      );
  };

  // stat first: opening a named pipe to read would block until a writer comes, and that may be never.
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    return refuse(`cannot read the file: ${code(e)}`, 'check the path and its permissions');
  }
  regular(st);
  let fd: number;
  try {
    // Non-blocking, and checked again once open: the path may have been swapped for a pipe since the stat.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return refuse(`cannot read the file: ${code(e)}`, 'check the path and its permissions');
  }
  let bytes: Buffer;
  try {
    regular(fstatSync(fd));
    // One byte more than allowed tells a file that grew past the limit since the stat.
    const buf = Buffer.alloc(Math.min(fstatSync(fd).size, MAX_FILE_BYTES) + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > MAX_FILE_BYTES)
      refuse(
        `the file is over ${MAX_FILE_BYTES} bytes; a scenario file may be at most 1 MiB`,
        'split it into smaller scenarios',
      );
    bytes = buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
  if (!isUtf8(bytes)) {
    const { offset, line, col } = firstBadByte(bytes);
    throw new ScenarioError(
      shown,
      line,
      col,
      `not UTF-8 text: byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at byte offset ${offset} is not part of a valid UTF-8 character`,
      'save the file as UTF-8',
    );
  }
  return bytes.toString('utf8');
}

/** Where the first byte that is not valid UTF-8 is: its offset, and its line and column as an editor counts them. */
function firstBadByte(bytes: Buffer): { offset: number; line: number; col: number } {
  // The lenient decoder turns each bad sequence into U+FFFD; the first U+FFFD the file did not spell out itself is it.
  const text = bytes.toString('utf8');
  let offset = 0;
  let from = 0;
  let i = text.indexOf('\ufffd');
  for (; i >= 0; i = text.indexOf('\ufffd', i + 1)) {
    offset += Buffer.byteLength(text.slice(from, i));
    from = i;
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) break;
  }
  const before = text.slice(0, Math.max(i, 0));
  const lines = before.split(/\r\n|\r|\n/);
  return { offset, line: lines.length, col: lines[lines.length - 1]!.length + 1 };
}
