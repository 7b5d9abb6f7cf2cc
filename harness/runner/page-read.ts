// What one read of the page returns: the in-page probe's stream counts and what the UI shows.
import type { TransportCounts } from '../timeline.ts';

/**
 * Chat streams the in-page probe counts: open, and connecting (reconnecting included; WebSockets, which wait in no
 * connection pool, left out), and the open ones by transport (absent from an older probe).
 */
export interface PageCounts {
  open: number;
  connecting: number;
  transports?: TransportCounts;
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
