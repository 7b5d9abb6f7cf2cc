// Which server model the mock plays for a hermes-webui checkout, read from the checkout's own server files at run time.
// Only names and string literals are matched (function names, header names, a constant's value); nothing is copied.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfinedError, readConfinedSync } from '../confined.ts';
import { DEFAULT_SERVER_MODEL, type ServerModel } from '../mock/server-model.ts';

export interface HermesServerModel {
  /** What the mock plays for /api/chat/stream. */
  model: ServerModel;
  /** One line: what in the checkout decided the model. */
  why: string;
  /** Response headers of the side feeds the target serves (route → headers), where the checkout says. */
  sideFeedHeaders: Record<string, Record<string, string>>;
}

/** The side feeds the hermes-webui target answers with an SSE reply of its own. */
export const SIDE_FEEDS = ['/api/sessions/events', '/api/session/stream'] as const;

/** The newest server's chat-stream headers, for a checkout whose server files say nothing. */
const NEWEST_SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  connection: 'close',
};

/** A top-level Python `def NAME(` or `class NAME` with its body: up to the next line that starts in column 0. */
function block(src: string, head: RegExp): string | null {
  const m = head.exec(src);
  if (!m) return null;
  const rest = src.slice(m.index + m[0].length);
  const end = /\n(?=[^\s#])/.exec(rest);
  return m[0] + (end ? rest.slice(0, end.index) : rest);
}

const fnBody = (src: string, name: string) => block(src, new RegExp(`^def ${name}\\(`, 'm'));

/** Literal `send_header("Name", "value")` calls, in order; names in lower case. */
function sentHeaders(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/send_header\(\s*(["'])([^"']+)\1\s*,\s*(["'])([^"']*)\3\s*\)/g))
    out[m[2]!.toLowerCase()] = m[4]!;
  return out;
}

/** The handler a route dispatches to: `parsed.path == "ROUTE"` followed closely by `return NAME(`. */
function routeHandler(routes: string, route: string): string | null {
  const at = routes.search(new RegExp(`path\\s*==\\s*["']${route.replace(/[/.]/g, '\\$&')}["']`));
  if (at < 0) return null;
  const m = /return\s+(_?\w+)\(/.exec(routes.slice(at, at + 400));
  return m ? fnBody(routes, m[1]!) : null;
}

/** The offline buffer's cap in the StreamChannel class: a deque's maxlen, a number or a constant naming one. */
function bufferCap(channel: string): { cap: number | null; read: string } {
  const m = /_offline_buffer\b[^=\n]*=\s*(?:collections\.)?deque\(([^)]*)\)/.exec(channel);
  if (!m) return { cap: null, read: 'StreamChannel keeps its offline buffer without a cap' };
  const arg = /maxlen\s*=\s*([\w.]+)/.exec(m[1]!)?.[1];
  if (!arg) return { cap: null, read: 'StreamChannel keeps its offline buffer without a cap' };
  const name = arg.replace(/^self\./, '');
  const value = /^[\d_]+$/.test(name)
    ? name
    : new RegExp(`^\\s*${name}\\s*(?::[^=\\n]*)?=\\s*([\\d_]+)\\s*$`, 'm').exec(channel)?.[1];
  if (!value)
    return {
      cap: null,
      read: `StreamChannel caps its offline buffer at ${name}, whose value was not read (no cap modelled)`,
    };
  const cap = Number(value.replace(/_/g, ''));
  return { cap, read: `StreamChannel caps its offline buffer at ${cap} events` };
}

/** The largest server file read: api/routes.py is a few hundred kilobytes. */
const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

/** The checkout's api/ files, read only as regular files inside the checkout (a link out of it is unreadable). */
function readApi(root: string): { routes: string | null; channel: string | null; unreadable?: string } {
  const dir = join(root, 'api');
  const read = (rel: string) => readConfinedSync(root, rel, MAX_SOURCE_BYTES);
  try {
    const routes = existsSync(join(dir, 'routes.py')) ? read('api/routes.py') : null;
    let channel: string | null = null;
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)
        .filter((n) => n.endsWith('.py'))
        .sort()) {
        channel = block(read(`api/${f}`), /^class StreamChannel\b/m);
        if (channel) break;
      }
    }
    return { routes, channel };
  } catch (e) {
    return {
      routes: null,
      channel: null,
      unreadable: e instanceof ConfinedError ? e.message : ((e as NodeJS.ErrnoException).code ?? 'unreadable'),
    };
  }
}

/**
 * Reads the checkout's api/routes.py (its `_handle_sse_stream` and the helpers it calls) and its StreamChannel class,
 * and picks the server model the mock plays: the resume behaviour, the offline buffer's cap, Last-Event-ID, whether
 * a finished run's journal is kept, the frames' ids and the SSE reply's headers. A checkout without those files is
 * played as the newest server, and the reason says so.
 */
export function hermesServerModel(root: string): HermesServerModel {
  const { routes, channel, unreadable } = readApi(root);
  const handler = routes && fnBody(routes, '_handle_sse_stream');
  if (!routes || !handler) {
    const missing = unreadable
      ? `the checkout's api/ files could not be read (${unreadable})`
      : routes
        ? 'api/routes.py has no _handle_sse_stream'
        : 'the checkout has no api/routes.py';
    return {
      model: { ...DEFAULT_SERVER_MODEL, sseHeaders: NEWEST_SSE_HEADERS },
      why: `${missing}: the newest server's rules are assumed (journal after a cursor, Last-Event-ID, a capped offline buffer)`,
      sideFeedHeaders: {},
    };
  }
  // What a live run's subscriber gets is decided after the handler subscribes to the run's channel; before that
  // point a finished run is answered.
  const sub = handler.search(/\.subscribe(?:_with_snapshot)?\(/);
  const live = sub >= 0 ? handler.slice(sub) : handler;
  const helpers = [...new Set([...handler.matchAll(/\b(_\w+)\(/g)].map((m) => m[1]!))].map(
    (n) => fnBody(routes, n) ?? '',
  );
  const journal = /_replay_run_journal|replay_cutoff_seq/.test(live);
  const lastEventId = journal && [handler, ...helpers].some((b) => /["']Last-Event-ID["']/i.test(b));
  const journalKept = /find_run_summary/.test(handler);
  // The finished-run replay comes before the subscribe; whether it reads the event-id cursor is said there.
  const finished = sub >= 0 ? handler.slice(0, sub) : handler;
  const finishedHelpers = [...new Set([...finished.matchAll(/\b(_\w+)\(/g)].map((m) => m[1]!))].map(
    (n) => fnBody(routes, n) ?? '',
  );
  const finishedEventId = [finished, ...finishedHelpers].some((b) => /after_event_id/.test(b));
  const frameIds = /_sse_with_id/.test(live)
    ? /queued_event_id|len\(item\)\s*>=\s*3/.test(live)
      ? 'own'
      : 'latest'
    : 'none';
  const headers = sentHeaders(live);
  const { cap, read: capRead } = channel
    ? bufferCap(channel)
    : {
        cap: null,
        read: 'no StreamChannel: one queue per run, read by whichever subscriber takes each event, modelled as an unbounded offline buffer',
      };
  const why = [
    journal
      ? `api/routes.py: _handle_sse_stream replays the run journal after a cursor for a live run${lastEventId ? ' and reads Last-Event-ID' : ' (Last-Event-ID not read)'}`
      : 'api/routes.py: _handle_sse_stream has no cursor path for a live run (cursors ignored)',
    capRead,
    journalKept ? null : 'a finished run is gone (no run journal: 404)',
  ]
    .filter(Boolean)
    .join('; ');
  const sideFeedHeaders: Record<string, Record<string, string>> = {};
  for (const route of SIDE_FEEDS) {
    const body = routeHandler(routes, route);
    if (body) sideFeedHeaders[route] = sentHeaders(body);
  }
  return {
    model: {
      resume: journal ? 'journal' : 'buffer',
      offlineBufferCap: cap,
      lastEventId,
      journalKept,
      ...(journalKept && !finishedEventId ? { finishedEventId: false } : {}),
      frameIds,
      sseHeaders: Object.keys(headers).length ? headers : { ...DEFAULT_SERVER_MODEL.sseHeaders },
    },
    why,
    sideFeedHeaders,
  };
}
