// MockBackend: a real HTTP/1.1 server on 127.0.0.1 whose API routes are MSW handlers and whose pages carry the probe.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RequestHandler } from 'msw';
import { msw } from '../deps.ts';
import type { StreamItem } from '../scenario/schema.ts';
import type { Timeline } from '../timeline.ts';
import { PAGE_PROBE_FILE } from '../paths.ts';
import { ConfinedError, openConfined, type ConfinedFile } from '../confined.ts';
import type { ChatBackend } from './chat-backend.ts';
import { ConnectionLedger, httpStreamTransport } from './ledger.ts';
import { routesQuery, type StreamRoute } from '../probe/stream-routes.ts';
import { isOwnHost, listenOnLoopback } from './own-host.ts';
import { oneLine } from '../printable.ts';
import { Run, type Subscriber } from './player.ts';
import { resumeCursor, serverModel, type ResumeCursor, type ServerModel } from './server-model.ts';
import type { ProfileHost, ProtocolProfile, SessionRecord } from './profile.ts';
import { hermesWire, type Wire } from './wire.ts';

const REQ_HEADER = 'x-sse-harness-request';
/** The only SSE path the ledger counts as a chat stream; a UI's side feeds (session lists, notifications) are not. */
export const CHAT_STREAM_PATH = '/api/chat/stream';
/** Queued after the last chunk of a dropped stream: the socket is destroyed once everything before it is written. */
const DROP = new Uint8Array(0);
/** How long a dropped stream's socket stays up, silent, before it is destroyed: ample for loopback delivery. */
const DROP_QUIET_MS = 50;
/** The largest HTML page read whole (to put the probe in): a chat UI's shell is kilobytes. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;
/** Foreign Host names noted on the timeline per run; more are refused as well, without a note each. */
const REFUSED_HOSTS_NOTED = 10;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export type { SessionRecord } from './profile.ts';

export interface BackendOptions {
  /** Folder with the UI's static files. */
  root: string;
  /** The folder no served file may resolve outside of, symlinks followed (default: root): the UI's whole checkout. */
  confine?: string;
  /** Pages that get the probe injected; default: every .html file. */
  heartbeatMs?: number;
  retryMs?: number;
  /** Extra MSW handlers a target adds in front of the built-in ones. */
  handlers?: RequestHandler[];
  /** MSW handlers tried after the built-in ones: a target's catch-all for routes the mock does not know. */
  fallbackHandlers?: RequestHandler[];
  /** Paths outside /api/ that go to the handlers too, not to the static files (hermes-webui's /health probe). */
  apiPaths?: string[];
  /** Rewrites an HTML page before the probe goes in (template placeholders of a target). */
  transformHtml?: (html: string, path: string) => string;
  /** Maps a URL path to a file under root, null for the default mapping, or false to answer 404 (a service worker). */
  mapPath?: (path: string) => string | null | false;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Inject the in-page probe into HTML pages (default true; off only to measure the probe's own cost). */
  probe?: boolean;
  /** The server release the mock plays for chat streams (resume rules, offline buffer, headers); see server-model.ts. */
  server?: Partial<ServerModel>;
  /** The protocol the UI speaks when it is not hermes-webui's: its routes go in front of the built-in ones. */
  profile?: ProtocolProfile;
}

export class MockBackend implements ChatBackend, ProfileHost {
  readonly ledger: ConnectionLedger;
  readonly model: ServerModel;
  readonly sessions = new Map<string, SessionRecord>();
  readonly runs = new Map<string, Run>();
  /** Stream scripts armed for the next chat start of a session (or '*' for any). */
  private armed = new Map<string, { name: string; script: StreamItem[] }>();
  private readonly responses = new Map<string, ServerResponse>();
  private readonly server: Server;
  private readonly handlers: RequestHandler[];
  private nextId = 1;
  private timeline: Timeline;
  private origin = '';
  private hosts: ReadonlySet<string> = new Set();
  /** Foreign Host names refused in this run, each noted once on the timeline. */
  private readonly refusedHosts = new Set<string>();

  constructor(
    private readonly opts: BackendOptions,
    timeline: Timeline,
  ) {
    this.timeline = timeline;
    this.ledger = new ConnectionLedger(timeline);
    this.model = serverModel({ ...opts.profile?.server, ...opts.server });
    this.handlers = [
      ...(opts.handlers ?? []),
      ...(opts.profile?.handlers(this) ?? []),
      ...this.apiHandlers(),
      ...(opts.fallbackHandlers ?? []),
    ];
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // The same Host rule as for every request; a profile with no WebSocket route leaves the socket refused.
      if (
        isOwnHost(req.headers.host, this.hosts) &&
        req.url?.startsWith('/') &&
        opts.profile?.upgrade?.(this, req, socket, head)
      )
        return;
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<string> {
    ({ origin: this.origin, hosts: this.hosts } = await listenOnLoopback(
      this.server,
      this.opts.port,
      'the mock backend',
    ));
    return this.origin;
  }

  async stop(): Promise<void> {
    for (const run of this.runs.values()) run.stop();
    this.opts.profile?.close?.();
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  /** Starts a fresh scenario run on the same server: new timeline, no sessions, no runs. */
  reset(timeline: Timeline): void {
    for (const run of this.runs.values()) run.stop();
    for (const res of this.responses.values()) res.destroy();
    this.opts.profile?.close?.();
    this.runs.clear();
    this.sessions.clear();
    this.armed.clear();
    this.refusedHosts.clear();
    this.timeline = timeline;
    this.ledger.reset(timeline);
  }

  /** The next chat started in `session` (or in any session, with '*') plays this script. */
  arm(session: string, name: string, script: StreamItem[]): void {
    this.armed.set(session, { name, script });
  }

  runFor(session: string): Run | undefined {
    return [...this.runs.values()].filter((r) => r.session === session).at(-1);
  }

  /** The OS killing the client's sockets (lock, app switch): every open chat stream is destroyed. */
  dropAllStreams(why: string): number {
    let n = 0;
    for (const run of this.runs.values()) if (run.subscribers.size) n += run.drop(why);
    return n;
  }

  // ------------------------------------------------------------------ HTTP plumbing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = String(this.nextId++);
    this.responses.set(id, res);
    res.on('close', () => this.responses.delete(id));
    const path = (req.url ?? '/').split('?')[0]!;
    const t = this.timeline.now();
    try {
      // Only requests for this server's own address, in origin form: DNS rebinding, and proxy-style absolute URLs, are refused.
      if (!isOwnHost(req.headers.host, this.hosts) || !req.url?.startsWith('/')) return this.refuseHost(req, res, t);
      if (
        path.startsWith('/api/') ||
        this.opts.apiPaths?.includes(path) ||
        this.opts.profile?.apiPrefixes?.some((p) => path.startsWith(p))
      ) {
        await this.handleApi(req, res, id);
      } else {
        await this.serveStatic(path, res);
      }
    } catch (e) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `sse-harness mock backend: ${(e as Error).message}` }));
      } else res.destroy();
    } finally {
      if (!path.startsWith('/__harness/')) this.ledger.request(req.method ?? 'GET', path, res.statusCode, t);
    }
  }

  private refuseHost(req: IncomingMessage, res: ServerResponse, t: number): void {
    const host = oneLine(req.headers.host ?? '(none)', 100);
    if (this.refusedHosts.size < REFUSED_HOSTS_NOTED && !this.refusedHosts.has(host)) {
      this.refusedHosts.add(host);
      this.timeline.add({
        kind: 'note',
        t,
        message: `refused ${oneLine(req.method, 20)} "${oneLine(req.url ?? '', 100)}" with Host "${host}" (421): the mock backend answers only requests for its own address (${[...this.hosts].join(', ')}); another site's page reaching it by DNS rebinding is turned away`,
      });
    }
    const body = `sse-harness mock backend: this server answers only requests for ${this.origin}\n`;
    res.writeHead(421, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const { getResponse, HttpResponse } = msw();
    const chunks: Buffer[] = [];
    if (req.method !== 'GET' && req.method !== 'HEAD') for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    headers.set(REQ_HEADER, id);
    const request = new Request(`${this.origin}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const response =
      (await getResponse(this.handlers, request)) ??
      HttpResponse.json(
        { error: `sse-harness mock backend: no route for ${req.method} ${request.url.replace(this.origin, '')}` },
        { status: 404 },
      );
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((v, k) => (outHeaders[k] = v));
    // A server that says `Connection: close` on a stream ends its body by closing the socket, not by chunks; so does
    // the mock then, as the same bytes on the wire.
    if (outHeaders.connection?.toLowerCase() === 'close' && outHeaders['content-type']?.startsWith('text/event-stream'))
      res.useChunkedEncodingByDefault = false;
    res.writeHead(response.status, outHeaders);
    if (!response.body) return void res.end();
    res.flushHeaders();
    const reader = response.body.getReader();
    let flushed = Promise.resolve();
    res.on('close', () => void reader.cancel().catch(() => {}));
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value === DROP) {
          // A drop loses the connection, not sent data. The run has already stopped writing here; what was written
          // gets a moment to be read off the socket by the browser, because a socket closed with unread data is
          // reset and the client's kernel throws that data away: whether an event was caught in flight would
          // otherwise be a race, and the verdict with it.
          await flushed;
          await new Promise((ok) => setTimeout(ok, DROP_QUIET_MS));
          res.destroy();
          return;
        }
        if (!res.writableEnded && !res.destroyed) flushed = new Promise<void>((ok) => res.write(value, () => ok()));
      }
      if (!res.destroyed) res.end();
    } catch {
      res.destroy();
    }
  }

  private async serveStatic(path: string, res: ServerResponse): Promise<void> {
    if (path === '/__harness/probe.js') {
      res.writeHead(200, { 'content-type': MIME['.js']!, 'cache-control': 'no-store' });
      return void res.end(await readFile(PAGE_PROBE_FILE));
    }
    const mapped = this.opts.mapPath?.(path) ?? (path === '/' ? 'index.html' : decodeURIComponent(path.slice(1)));
    if (mapped === false) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end(`sse-harness mock backend: ${path} is not served`);
    }
    // The UI's folder is a checkout the harness does not trust: only its regular files, symlinks resolved inside it.
    let file: ConfinedFile;
    try {
      file = await openConfined(this.opts.root, mapped, this.opts.confine);
    } catch (e) {
      if (!(e instanceof ConfinedError)) throw e;
      res.writeHead(e.status, { 'content-type': 'text/plain' });
      return void res.end(
        e.status === 403
          ? 'sse-harness mock backend: outside the app folder, or not a regular file'
          : `sse-harness mock backend: no file for ${path}`,
      );
    }
    try {
      const type = MIME[extname(mapped)] ?? 'application/octet-stream';
      if (!type.startsWith('text/html')) {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'content-length': String(file.size) });
        return await pipeline(file.handle.createReadStream({ autoClose: false }), res);
      }
      if (file.size > MAX_PAGE_BYTES) {
        res.writeHead(413, { 'content-type': 'text/plain' });
        return void res.end(
          `sse-harness mock backend: ${path} is larger than ${MAX_PAGE_BYTES} bytes, more than a page the harness reads`,
        );
      }
      let html = (await file.handle.readFile()).toString('utf8');
      if (this.opts.transformHtml) html = this.opts.transformHtml(html, path);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(this.opts.probe === false ? html : injectProbe(html, this.opts.profile?.streamRoutes));
    } finally {
      await file.handle.close();
    }
  }

  // ------------------------------------------------------------------ API routes (MSW handlers)

  private session(id: string | null): SessionRecord | undefined {
    return id ? this.sessions.get(id) : undefined;
  }

  newSession(id?: string): SessionRecord {
    const sid = id ?? `s${this.sessions.size + 1}-${Math.random().toString(36).slice(2, 6)}`;
    const s: SessionRecord = {
      session_id: sid,
      title: 'New chat',
      messages: [],
      active_stream_id: null,
      updated_at: Date.now(),
    };
    this.sessions.set(sid, s);
    return s;
  }

  startTurn(s: SessionRecord | undefined, message: string, path: string): Run | 404 | 409 {
    const refused = !s ? 404 : s.active_stream_id ? 409 : null;
    const session = s?.session_id ?? null;
    this.timeline.add({ kind: 'turn-request', t: this.timeline.now(), session, path, status: refused ?? 200 });
    return refused ?? this.startRun(s!, message);
  }

  private startRun(s: SessionRecord, message: string): Run {
    const armed = this.armed.get(s.session_id) ??
      this.armed.get('*') ?? { name: 'default', script: [{ tokens: { count: 20, rate: 40 } }] };
    this.armed.delete(s.session_id);
    const streamId = `run${this.runs.size + 1}`;
    s.messages.push({ role: 'user', content: message });
    if (s.title === 'New chat') s.title = (message || 'chat').slice(0, 40);
    s.active_stream_id = streamId;
    s.updated_at = Date.now();
    const run = new Run(
      streamId,
      s.session_id,
      armed.name,
      armed.script,
      { heartbeatMs: this.opts.heartbeatMs ?? 5000, retryMs: this.opts.retryMs, server: this.model },
      this.ledger,
      this.timeline,
      (r) => {
        s.active_stream_id = null;
        s.messages.push({ role: 'assistant', content: r.answer.join('') });
        s.updated_at = Date.now();
        return { ...s, messages: [...s.messages], message_count: s.messages.length };
      },
    );
    this.runs.set(streamId, run);
    return run;
  }

  private apiHandlers(): RequestHandler[] {
    const { http, HttpResponse } = msw();
    const json = HttpResponse.json;
    const row = (s: SessionRecord) => ({
      session_id: s.session_id,
      title: s.title,
      message_count: s.messages.length,
      is_streaming: s.active_stream_id !== null,
      active_stream_id: s.active_stream_id,
      updated_at: s.updated_at,
    });
    return [
      http.get('*/api/settings', () => json({})),
      http.get('*/api/health', () => json({ ok: true, time: Date.now() })),
      http.get('*/api/sessions', () =>
        json({ sessions: [...this.sessions.values()].sort((a, b) => b.updated_at - a.updated_at).map(row) }),
      ),
      http.post('*/api/session/new', () => json({ session: { ...this.newSession() } })),
      http.get('*/api/session', ({ request }) => {
        const s = this.session(new URL(request.url).searchParams.get('session_id'));
        if (!s) return json({ error: 'Session not available' }, { status: 404 });
        return json({ session: { ...s, messages: [...s.messages] } });
      }),
      http.post('*/api/chat/start', async ({ request }) => {
        let body: { session_id?: string; message?: string };
        try {
          body = (await request.json()) as typeof body;
        } catch {
          return json({ error: 'body must be JSON' }, { status: 400 });
        }
        const s = this.session(body.session_id ?? null);
        const path = new URL(request.url).pathname;
        const run = this.startTurn(s, body.message ?? '', path);
        if (run === 404) return json({ error: 'unknown session_id' }, { status: 404 });
        if (run === 409)
          return json({ error: 'a stream is active', active_stream_id: s!.active_stream_id }, { status: 409 });
        return json({ stream_id: run.streamId, session_id: run.session });
      }),
      http.get('*/api/chat/stream/status', ({ request }) => {
        const id = new URL(request.url).searchParams.get('stream_id') ?? '';
        const run = this.runs.get(id);
        // Servers that keep a journal say whether a run can be replayed; older ones say only whether it is active.
        const replay = (available: boolean) => (this.model.journalKept ? { replay_available: available } : {});
        if (!run) return json({ active: false, stream_id: id, ...replay(false) });
        return json({ active: run.active, stream_id: id, ...replay(true) });
      }),
      http.get('*/api/chat/cancel', ({ request }) => {
        this.runs.get(new URL(request.url).searchParams.get('stream_id') ?? '')?.cancel();
        return json({ ok: true });
      }),
      http.get(`*${CHAT_STREAM_PATH}`, ({ request }) => {
        const { streamId, afterSeq } = chatStreamKey(request.url);
        const run = this.runs.get(streamId ?? '');
        // Without a kept journal a finished run is gone from the server, like one it never had.
        if (!run || (!run.active && !this.model.journalKept))
          return json({ error: 'unknown stream_id' }, { status: 404 });
        const url = new URL(request.url);
        const params = new URLSearchParams(url.searchParams);
        if (!run.active && this.model.finishedEventId === false) params.delete('after_event_id');
        const cursor = resumeCursor(params, request.headers.get('last-event-id'), run.streamId, this.model);
        return this.streamResponse(run, { afterSeq, cursor }, request, url.pathname, hermesWire());
      }),
    ];
  }

  streamResponse(
    run: Run,
    ask: { afterSeq: number; cursor: ResumeCursor },
    request: Request,
    path: string,
    wire: Wire,
    headers: Record<string, string> = this.model.sseHeaders,
  ): Response {
    const res = this.responses.get(request.headers.get(REQ_HEADER) ?? '');
    // MSW may hand back a wrapped body; the sentinel must reach the pipe loop as the same object.
    const encoder = new TextEncoder();
    let sub: Subscriber | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let open = true;
        const rec = this.ledger.open({
          path,
          streamId: run.streamId,
          session: run.session,
          afterSeq: ask.afterSeq,
          transport: httpStreamTransport(request),
        });
        sub = {
          rec,
          wire,
          write: (chunks) => open && controller.enqueue(encoder.encode(chunks.join(''))),
          end: () => {
            if (open) controller.close();
            open = false;
          },
          destroy: () => {
            if (open) controller.enqueue(DROP);
            else res?.destroy();
            open = false;
          },
        };
        run.subscribe(sub, ask.cursor);
      },
      cancel: () => {
        if (sub) run.unsubscribe(sub, 'client');
      },
    });
    return new (msw().HttpResponse)(body, { headers });
  }
}

/** Which run and replay point a chat-stream URL asks for (the contract's stream_id and after_seq). */
export function chatStreamKey(url: string): { streamId: string | null; afterSeq: number } {
  let params: URLSearchParams;
  try {
    params = new URL(url, 'http://localhost').searchParams;
  } catch {
    return { streamId: null, afterSeq: 0 };
  }
  return { streamId: params.get('stream_id'), afterSeq: Number(params.get('after_seq') ?? 0) || 0 };
}

/**
 * Puts the harness's in-page probe first in <head>, before any of the page's own scripts. Its URL names the chat
 * stream routes (hermes-webui's path unless a profile names its own), so the page probe and the CDP probe count the
 * same streams as the server ledger.
 */
export function injectProbe(html: string, routes: readonly StreamRoute[] = [CHAT_STREAM_PATH]): string {
  const tag = `<script src="/__harness/probe.js?${routesQuery(routes)}"></script>`;
  const m = /<head[^>]*>/i.exec(html);
  if (m) return html.slice(0, m.index + m[0].length) + tag + html.slice(m.index + m[0].length);
  return tag + html;
}
