// Cross-check of the witnesses' open-connection counts: agreement, pool exhaustion, or a plain disagreement.
import type { WitnessCounts } from '../timeline.ts';

/** Chromium, WebKit and Firefox allow 6 concurrent HTTP/1.1 connections per host. */
export const POOL_PER_HOST = 6;

export interface Finding {
  finding: 'pool-exhaustion' | 'witness-disagreement';
  summary: string;
}

/**
 * True when every witness that answered sees the same open streams and nothing is waiting for a socket. Sockets the
 * page already closed are the browser's to wind down: the page and CDP rightly no longer count them.
 */
export function agree(w: WitnessCounts): boolean {
  const server = w.server === undefined ? undefined : w.server - (w.serverDraining ?? 0);
  if (w.page !== undefined && (w.page !== server || (w.pageConnecting ?? 0) > 0)) return false;
  if (w.cdp !== undefined && (w.cdp !== server || (w.cdpQueued ?? 0) > 0)) return false;
  if (w.cdpObjects !== undefined && w.cdpObjects !== server) return false;
  return true;
}

/** What a lasting disagreement means, in words a reviewer can act on; null when the witnesses agree. */
export function crossCheck(w: WitnessCounts): Finding | null {
  if (agree(w)) return null;
  const queued = w.cdpQueued ?? 0;
  const waiting = w.pageConnecting ?? 0;
  const held = w.page !== undefined ? w.page + waiting : w.cdp !== undefined ? w.cdp + queued : undefined;
  const opened = Math.max(w.page ?? 0, w.cdp ?? 0, w.server ?? 0);
  if (queued > 0 || (waiting > 0 && opened >= POOL_PER_HOST)) {
    const n = queued || waiting;
    return {
      finding: 'pool-exhaustion',
      summary: `page holds ${held ?? opened + n} EventSources, server sees ${w.server}: the browser's ${POOL_PER_HOST}-per-host connection pool is exhausted, ${n} request${n === 1 ? '' : 's'} queued for a socket${queued ? ' (CDP: requested, never answered)' : ' (page: stuck in CONNECTING)'}`,
    };
  }
  const parts = [`server ${w.server}${w.serverDraining ? ` (${w.serverDraining} already let go of by the page)` : ''}`];
  if (w.page !== undefined) parts.push(`page ${w.page}${waiting ? ` (+${waiting} connecting)` : ''}`);
  if (w.cdp !== undefined) parts.push(`CDP network ${w.cdp}`);
  if (w.cdpObjects !== undefined) parts.push(`CDP heap ${w.cdpObjects}`);
  return { finding: 'witness-disagreement', summary: `witnesses disagree on open chat streams: ${parts.join(', ')}` };
}
