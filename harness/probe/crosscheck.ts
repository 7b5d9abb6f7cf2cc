// Cross-check of the witnesses' open-connection counts: agreement, pool exhaustion, or a plain disagreement.
import type { TransportCounts, WitnessCounts } from '../timeline.ts';
import { countOf, transportsPhrase } from './stream-routes.ts';

/**
 * Chromium, WebKit and Firefox allow 6 concurrent HTTP/1.1 connections per host. EventSources, fetch streams and XHR
 * streams share them with every other request to the host; WebSockets do not (Chromium keeps them in a pool of
 * their own), so they never count towards a full pool.
 */
export const POOL_PER_HOST = 6;

export interface Finding {
  finding: 'pool-exhaustion' | 'witness-disagreement';
  summary: string;
}

/** What the heap census can see: EventSource and WebSocket objects; a fetch or XHR stream is no object it counts. */
function heapVisible(w: WitnessCounts, server: number | undefined): number | undefined {
  if (server === undefined) return undefined;
  return server - countOf(w.transports?.server, 'fetch-stream', 'xhr-stream');
}

/**
 * True when every witness that answered sees the same open streams and nothing is waiting for a socket. Sockets the
 * page already closed are the browser's to wind down: the page and CDP rightly no longer count them.
 */
export function agree(w: WitnessCounts): boolean {
  const server = w.server === undefined ? undefined : w.server - (w.serverDraining ?? 0);
  if (w.page !== undefined && (w.page !== server || (w.pageConnecting ?? 0) > 0)) return false;
  if (w.cdp !== undefined && (w.cdp !== server || (w.cdpQueued ?? 0) > 0)) return false;
  if (w.cdpObjects !== undefined && w.cdpObjects !== heapVisible(w, server)) return false;
  return true;
}

/** "EventSources" unless a witness split the count by transport: then the transports it saw. */
function heldPhrase(n: number, counts: TransportCounts | undefined): string {
  return (counts && transportsPhrase(counts)) ?? `${n} EventSource${n === 1 ? '' : 's'}`;
}

/** What a lasting disagreement means, in words a reviewer can act on; null when the witnesses agree. */
export function crossCheck(w: WitnessCounts): Finding | null {
  if (agree(w)) return null;
  const queued = w.cdpQueued ?? 0;
  const waiting = w.pageConnecting ?? 0;
  const held = w.page !== undefined ? w.page + waiting : w.cdp !== undefined ? w.cdp + queued : undefined;
  // WebSockets hold no socket of the HTTP pool.
  const ws = Math.max(countOf(w.transports?.page, 'websocket'), countOf(w.transports?.cdp, 'websocket'));
  const opened = Math.max(w.page ?? 0, w.cdp ?? 0, w.server ?? 0) - ws;
  if (queued > 0 || (waiting > 0 && opened >= POOL_PER_HOST)) {
    const n = queued || waiting;
    const counts = w.page !== undefined ? w.transports?.page : w.transports?.cdp;
    const holds =
      held === undefined
        ? `${opened + n} streams`
        : w.transports
          ? `${heldPhrase(held - n, counts)} (+${n} waiting)`
          : heldPhrase(held, undefined);
    return {
      finding: 'pool-exhaustion',
      summary: `page holds ${holds}, server sees ${w.server}: the browser's ${POOL_PER_HOST}-per-host connection pool is exhausted, ${n} request${n === 1 ? '' : 's'} queued for a socket${queued ? ' (CDP: requested, never answered)' : ' (page: stuck in CONNECTING)'}`,
    };
  }
  const by = (c: TransportCounts | undefined) => {
    const p = w.transports && transportsPhrase(c);
    return p ? `: ${p}` : '';
  };
  const parts = [
    `server ${w.server}${w.serverDraining ? ` (${w.serverDraining} already let go of by the page)` : ''}${by(w.transports?.server)}`,
  ];
  if (w.page !== undefined)
    parts.push(`page ${w.page}${waiting ? ` (+${waiting} connecting)` : ''}${by(w.transports?.page)}`);
  if (w.cdp !== undefined) parts.push(`CDP network ${w.cdp}${by(w.transports?.cdp)}`);
  if (w.cdpObjects !== undefined) parts.push(`CDP heap ${w.cdpObjects}`);
  return { finding: 'witness-disagreement', summary: `witnesses disagree on open chat streams: ${parts.join(', ')}` };
}
