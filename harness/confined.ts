// Files of a folder the harness does not trust (a chat UI's checkout, a pull request's): read only when they are
// regular files whose real path, symlinks resolved, lies inside the folder's real path. A checkout that links
// static/x -> / would otherwise hand its own page the runner's files (/proc/self/environ, keys), and a FIFO or a
// device among its files would hang or flood the harness.
import { constants, fstatSync, openSync, closeSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';

/** Opened without following a last-component symlink, and without waiting for a FIFO's writer. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class ConfinedError extends Error {
  constructor(
    message: string,
    /** 404: not there (or a folder); 403: there, but outside the folder or not a regular file. */
    readonly status: 403 | 404,
  ) {
    super(message);
  }
}

/** Whether `path` is `root` or lies under it (both real, absolute paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function checkRealPath(realRoot: string, real: string, shown: string): void {
  if (!isInside(realRoot, real)) throw new ConfinedError(`${shown} resolves outside the folder`, 403);
}

/**
 * Where the open file really is, from the kernel (Linux /proc): a symlink swapped in between the path check and the
 * open is caught here. Null where the system does not say (the check before the open stands alone there).
 */
const openedPath = (fd: number): string | null => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
};

export interface ConfinedFile {
  handle: FileHandle;
  size: number;
}

/**
 * Opens `rel` under `folder` for reading, or throws ConfinedError (the caller answers with its status). `..` may not
 * leave `folder`; symlinks may not lead out of `within` (default: folder), e.g. the whole checkout around its
 * static/ folder, which itself could be a link to /.
 */
export async function openConfined(folder: string, rel: string, within = folder): Promise<ConfinedFile> {
  const realRoot = await realpath(within).catch(() => {
    throw new ConfinedError('the folder is gone', 404);
  });
  const lexical = join(resolve(folder), rel);
  if (!isInside(resolve(folder), lexical)) throw new ConfinedError(`${rel} is outside the folder`, 403);
  const real = await realpath(lexical).catch(() => {
    throw new ConfinedError(`no file ${rel}`, 404);
  });
  checkRealPath(realRoot, real, rel);
  const handle = await open(real, OPEN_FLAGS).catch(() => {
    throw new ConfinedError(`${rel} cannot be opened`, 404);
  });
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new ConfinedError(`${rel} is a folder`, 404);
    if (!st.isFile()) throw new ConfinedError(`${rel} is not a regular file`, 403);
    const where = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (where !== null) checkRealPath(realRoot, where, rel);
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Reads `rel` under `folder` as UTF-8 text, at most maxBytes of it, confined as openConfined is; throws
 * ConfinedError. For a target reading a checkout's sources.
 */
export function readConfinedSync(folder: string, rel: string, maxBytes: number, within = folder): string {
  let realRoot: string;
  try {
    realRoot = realpathSync(within);
  } catch {
    throw new ConfinedError('the folder is gone', 404);
  }
  const lexical = join(resolve(folder), rel);
  if (!isInside(resolve(folder), lexical)) throw new ConfinedError(`${rel} is outside the folder`, 403);
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new ConfinedError(`no file ${rel}`, 404);
  }
  checkRealPath(realRoot, real, rel);
  let fd: number;
  try {
    fd = openSync(real, OPEN_FLAGS);
  } catch {
    throw new ConfinedError(`${rel} cannot be opened`, 404);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ConfinedError(`${rel} is a folder`, 404);
    if (!st.isFile()) throw new ConfinedError(`${rel} is not a regular file`, 403);
    const where = openedPath(fd);
    if (where !== null) checkRealPath(realRoot, where, rel);
    if (st.size > maxBytes) throw new ConfinedError(`${rel} is larger than ${maxBytes} bytes`, 403);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
