// The machine's own speed, measured beside the figures: a fixed piece of single-threaded CPU work (hashing 256 MiB).
// A shared CI machine's speed drifts through the day, and a figure that moved with it is not a change in the code;
// a bench that prints this with its figures lets the reader tell the two apart.
import { createHash } from 'node:crypto';

const CHUNK = Buffer.alloc(1 << 20, 7);

/** Milliseconds to hash 256 MiB with SHA-256, in one thread. */
export function calibrationMs(): number {
  const t0 = process.hrtime.bigint();
  const h = createHash('sha256');
  for (let i = 0; i < 256; i++) h.update(CHUNK);
  h.digest();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
