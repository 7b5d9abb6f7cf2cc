// Where reports, trends and baselines are written. A destination is checked before any browser starts, so a run's
// verdict is never lost at the end to a folder it cannot write. Folders are made one level at a time: mkdir's
// recursive mode never returns on some pseudo file systems (a path under /proc).
import { closeSync, existsSync, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class DestinationError extends Error {}

const why = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES' || err.code === 'EPERM'
    ? 'permission denied'
    : err.code === 'EROFS'
      ? 'read-only file system'
      : (err.code ?? String(err.message));
};

/** Makes the folder and any missing parents; `what` names the option and its value ("--report-dir out"), for errors. */
export function makeDir(dir: string, what: string): string {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory())
    throw new DestinationError(`${what}: ${p} is a file, not a folder. Give a folder path.`);
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw new DestinationError(`${what}: cannot create ${m} (${why(e)}). Give a folder you can write to.`);
    }
  }
  return abs;
}

/** The folder exists (made if missing) and a file can be written in it. */
export function checkWritableDir(dir: string, what: string): void {
  const abs = makeDir(dir, what);
  const probe = join(abs, `.sse-harness-write-check-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new DestinationError(`${what}: cannot write in ${abs} (${why(e)}). Give a folder you can write to.`);
  }
}

/** The file can be appended to or created (its folder made if missing); an existing file is left as it was. */
export function checkWritableFile(file: string, what: string): void {
  const abs = resolve(file);
  if (existsSync(abs)) {
    if (!statSync(abs).isFile()) throw new DestinationError(`${what}: not a regular file. Give a file path.`);
    try {
      closeSync(openSync(abs, 'a'));
    } catch (e) {
      throw new DestinationError(`${what}: cannot write it (${why(e)}).`);
    }
    return;
  }
  checkWritableDir(dirname(abs), what);
}
