// What one read of the page returns: the in-page probe's stream counts and what the UI shows.

/** EventSources the in-page probe counts: open, and connecting (reconnecting included). */
export interface PageCounts {
  open: number;
  connecting: number;
}

/**
 * One read of the page: the probe's counts (null without a probe) and what the UI shows: the session and its answer
 * as the target's expressions give them, or what each threw.
 */
export interface PageRead {
  counts: PageCounts | null;
  sid?: string | null;
  text?: string | null;
  sidError?: string;
  textError?: string;
}

/** Both the session and the answer a read saw, or null when either was not read or threw. */
export const shownOf = (r: PageRead): { sid: string | null; text: string | null } | null =>
  r.sidError === undefined && r.textError === undefined && r.sid !== undefined && r.text !== undefined
    ? { sid: r.sid, text: r.text }
    : null;
