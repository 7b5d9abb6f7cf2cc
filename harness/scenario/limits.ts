// What a scenario may ask for. Each bound keeps a run finite and its timers honest; `validate` refuses a file past
// any of them, and the "Limits" list in docs/scenarios.md and the JSON Schema's descriptions name them.

/**
 * The longest any one duration may be (a wait, stall, tool duration, timeout, budget, grace, interval): 1 hour.
 * Node's timers take at most 2^31−1 ms (24.8 days); a longer one overflows and fires after 1 ms, which would skip
 * the wait and pass the run.
 */
export const MAX_DURATION_MS = 3_600_000;

/** The slowest token rate: one token per 100 s. Slower rates are pauses; script them with wait or stall. */
export const MIN_TOKEN_RATE = 0.01;

/** The fastest token rate: 100 000 tokens/s. Faster is all at once; script it with burst. */
export const MAX_TOKEN_RATE = 100_000;

/** The most tokens one stream may send (tokens and bursts together): the answer is held in memory several times. */
export const MAX_TOKENS_PER_STREAM = 100_000;

/** The most steps a scenario may run, with every repeat unrolled (nested repeats multiply). */
export const MAX_STEPS = 10_000;

/** The longest a scenario may script: its steps' waits and waitFors, and its streams when they play out: 4 hours. */
export const MAX_SCRIPTED_MS = 4 * 3_600_000;

/** timeScale's range: 100 times as fast to 10 times as slow, so scaled durations and rates stay within the above. */
export const MIN_TIME_SCALE = 0.01;
export const MAX_TIME_SCALE = 10;

/** The largest scenario file read (1 MiB). */
export const MAX_FILE_BYTES = 1_048_576;

/**
 * With every YAML alias written out in full, the most values (mappings, lists, scalars) and characters of text a
 * file may hold: anchors can be reused freely, while an alias bomb ("billion laughs") is refused before it expands.
 */
export const MAX_EXPANDED_VALUES = 200_000;
export const MAX_EXPANDED_CHARS = 4 * 1_048_576;

/** Names a stream or session may not take: they name JavaScript's object internals. */
export const RESERVED_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** "1 h 5 min", "42 s": a duration for an error message. */
export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`;
}
