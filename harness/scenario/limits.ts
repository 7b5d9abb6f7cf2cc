// What a scenario may ask for. Each bound keeps a run finite and its timers honest; `validate` refuses a file past
// any of them, and the README's "Limits" list and the JSON Schema's descriptions name them.

/** The largest scenario file read (1 MiB). */
export const MAX_FILE_BYTES = 1_048_576;

/**
 * With every YAML alias written out in full, the most values (mappings, lists, scalars) and characters of text a
 * file may hold: anchors can be reused freely, while an alias bomb ("billion laughs") is refused before it expands.
 */
export const MAX_EXPANDED_VALUES = 200_000;
export const MAX_EXPANDED_CHARS = 4 * 1_048_576;
