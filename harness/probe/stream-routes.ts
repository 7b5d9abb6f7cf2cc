// Which URL paths carry chat streams. A protocol profile names its stream routes as path patterns; the server
// ledger, the page probe (page-probe.js has its own copy of this matcher, in plain ES2017) and the CDP probe count
// only streams on them, so a UI's side feeds (session lists, notifications) are no disagreement.
import type { StreamTransport, TransportCounts } from '../timeline.ts';

/**
 * A path pattern: literal segments, `:name` for any one segment, a last segment `*` for any rest, and a first
 * segment `*` for any prefix (a pattern of `*` then `/v1/chat/completions` matches that path under any prefix, and
 * alone). No query: `/api/chat/:id/stream` matches `/api/chat/abc/stream?x=1`'s path, not
 * `/api/chat/abc/stream/status`.
 */
export type StreamRoute = string;

/** Path segments against pattern segments, from the start. */
function segmentsMatch(got: string[], want: string[]): boolean {
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '*' && i === want.length - 1) return got.length >= want.length;
    if (i >= got.length) return false;
    if (want[i]!.startsWith(':') ? got[i] === '' : want[i] !== got[i]) return false;
  }
  return got.length === want.length;
}

/** Whether a URL path matches one of the patterns. */
export function matchesStreamRoute(path: string, routes: readonly StreamRoute[]): boolean {
  const got = path.split('/');
  return routes.some((route) => {
    const want = route.split('/');
    if (want[0] !== '*') return segmentsMatch(got, want);
    const tail = want.slice(1);
    return got.length - 1 >= tail.length && segmentsMatch(got.slice(got.length - tail.length), tail);
  });
}

/** The probe script's URL names the routes as repeated `chat` parameters. */
export function routesQuery(routes: readonly StreamRoute[]): string {
  return routes.map((r) => `chat=${encodeURIComponent(r)}`).join('&');
}

/** Words for a number of streams of one transport: "1 EventSource", "3 fetch streams". */
export function streamsOf(n: number, transport: StreamTransport): string {
  const one = {
    eventsource: 'EventSource',
    'fetch-stream': 'fetch stream',
    'xhr-stream': 'XHR stream',
    websocket: 'WebSocket',
  }[transport];
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** "3 fetch streams", "2 EventSources and 1 WebSocket"; null when none are counted. */
export function transportsPhrase(counts: TransportCounts | undefined): string | null {
  if (!counts) return null;
  const parts = (Object.entries(counts) as [StreamTransport, number | undefined][])
    .filter(([, n]) => n)
    .map(([k, n]) => streamsOf(n!, k));
  if (!parts.length) return null;
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** The sum of a witness's counts over the given transports. */
export function countOf(counts: TransportCounts | undefined, ...transports: StreamTransport[]): number {
  return transports.reduce((n, k) => n + (counts?.[k] ?? 0), 0);
}
