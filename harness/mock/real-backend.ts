// RealBackend: the UI's own server behind the harness's HTTP front. The front is a proxy on 127.0.0.1 that keeps what
// the mock keeps (the connection ledger, the probe in every page, socket drops), while the server's own code answers:
// its channels, buffers, journal, replay and headers, as released. A stub agent inside the server plays the scripts.
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { readFile } from 'node:fs/promises';
import type { StreamItem } from '../scenario/schema.ts';
import type { Timeline } from '../timeline.ts';
import { PAGE_PROBE_FILE } from '../paths.ts';
import { oneLine } from '../printable.ts';
import { CHAT_STREAM_PATH, chatStreamKey, injectProbe } from './backend.ts';
import type { BackendRun, ChatBackend } from './chat-backend.ts';
import { ConnectionLedger, type SseRecord } from './ledger.ts';
import { isOwnHost, listenOnLoopback } from './own-host.ts';
import { scriptedAnswer } from './player.ts';

/** What the stub agent tells the harness (see the control server of the target). */
export interface AgentEvent {
  kind: 'run-start' | 'run-end' | 'drop';
  session: string;
  reason?: string;
}

/** The channel through which the harness hands the stub agent its scripts and hears back from it. */
export interface AgentControl {
  /** Base URL the stub agent is given; set once started. */
  readonly url: string;
  start(): Promise<string>;
  stop(): Promise<void>;
  arm(session: string, script: { name: string; items: StreamItem[] }): void;
  hurry(session: string): void;
  onEvent(listener: (e: AgentEvent) => void): void;
}

/** The real server, started for one run. */
export interface Upstream {
  /** e.g. http://127.0.0.1:40123 */
  readonly origin: string;
  stop(): Promise<void>;
}

export interface RealBackendOptions {
  control: AgentControl;
  /** Starts the server with the stub agent pointed at the control URL. */
  startServer(controlUrl: string): Promise<Upstream>;
  /** One line for reports: which server ran. */
  describe: string;
  /** What the server's chat/start wants besides session_id and message (for clients other than its UI). */
  startBody?: Record<string, unknown>;
  /** Rewrites a page before the probe goes in (as the mock does for the target: tags of other hosts out). */
  transformHtml?: (html: string, path: string) => string;
  /** Paths answered 404 by the front, never asked of the server (a service worker that would outlive the run). */
  blocked?: readonly string[];
  port?: number;
  probe?: boolean;
}

/** Response headers not passed on as they are: they describe one hop, not the message. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
]);
/** How long a dropped stream's socket stays up, silent, before it is destroyed (as in the mock). */
const DROP_QUIET_MS = 50;
/** The largest page read whole to put the probe in. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;
/** The largest JSON reply read to learn a session or run id from. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

class RealRun implements BackendRun {
  readonly answer: string[];
  active = true;
  lastSeq = 0;
  constructor(
    readonly streamId: string,
    readonly session: string,
    private readonly control: AgentControl,
    script: StreamItem[],
  ) {
    this.answer = scriptedAnswer(script);
  }
  hurry(): void {
    if (this.active) this.control.hurry(this.session);
  }
}

/** A chat stream passing through the front: the ledger's record and how to cut it. */
interface Passing {
  rec: SseRecord;
  drop(): void;
}

export class RealBackend implements ChatBackend {
  readonly ledger: ConnectionLedger;
  readonly model = null;
  readonly sessions = new Map<string, true>();
  readonly runs = new Map<string, RealRun>();
  readonly describe: string;
  private armed = new Map<string, { name: string; script: StreamItem[] }>();
  private readonly passing = new Set<Passing>();
  private readonly server: Server;
  private upstream: Upstream | null = null;
  private origin = '';
  private hosts: ReadonlySet<string> = new Set();

  constructor(
    private readonly opts: RealBackendOptions,
    private readonly timeline: Timeline,
  ) {
    this.ledger = new ConnectionLedger(timeline);
    this.describe = opts.describe;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    opts.control.onEvent((e) => this.agentEvent(e));
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<string> {
    const controlUrl = await this.opts.control.start();
    try {
      this.upstream = await this.opts.startServer(controlUrl);
      ({ origin: this.origin, hosts: this.hosts } = await listenOnLoopback(
        this.server,
        this.opts.port,
        'the harness front',
      ));
    } catch (e) {
      await this.stop();
      throw e;
    }
    return this.origin;
  }

  async stop(): Promise<void> {
    for (const p of this.passing) p.drop();
    this.server.closeAllConnections();
    if (this.server.listening) await new Promise<void>((ok) => this.server.close(() => ok()));
    await this.upstream?.stop();
    this.upstream = null;
    await this.opts.control.stop();
  }

  arm(session: string, name: string, script: StreamItem[]): void {
    this.armed.set(session, { name, script });
    this.opts.control.arm(session, { name, items: script });
  }

  runFor(session: string): RealRun | undefined {
    return [...this.runs.values()].filter((r) => r.session === session).at(-1);
  }

  dropAllStreams(why: string): number {
    const open = [...this.passing].filter((p) => p.rec.closedAt === null && p.rec.streamId !== null);
    const byStream = new Map<string, number>();
    for (const p of open) {
      byStream.set(p.rec.streamId!, (byStream.get(p.rec.streamId!) ?? 0) + 1);
      p.drop();
    }
    for (const [streamId, sockets] of byStream)
      this.timeline.add({ kind: 'server-drop', t: this.timeline.now(), streamId, sockets, why });
    return open.length;
  }

  private agentEvent(e: AgentEvent): void {
    const run = this.runFor(e.session);
    if (!run) return;
    if (e.kind === 'run-end' && run.active) {
      run.active = false;
      this.timeline.add({
        kind: 'run-end',
        t: this.timeline.now(),
        streamId: run.streamId,
        session: run.session,
        reason: e.reason === 'cancel' ? 'cancel' : 'complete',
      });
    } else if (e.kind === 'drop') {
      const mine = [...this.passing].filter((p) => p.rec.streamId === run.streamId && p.rec.closedAt === null);
      for (const p of mine) p.drop();
      this.timeline.add({
        kind: 'server-drop',
        t: this.timeline.now(),
        streamId: run.streamId,
        sockets: mine.length,
        why: 'scripted drop',
      });
    }
  }

  // ------------------------------------------------------------------ HTTP plumbing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const t = this.timeline.now();
    if (!isOwnHost(req.headers.host, this.hosts) || !req.url?.startsWith('/')) {
      const body = `sse-harness: this server answers only requests for ${this.origin}\n`;
      res.writeHead(421, {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      });
      return void res.end(body);
    }
    if (path === '/__harness/probe.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(await readFile(PAGE_PROBE_FILE));
    }
    if (this.opts.blocked?.includes(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end(`sse-harness: ${path} is not served`);
    }
    try {
      await this.forward(req, res, path);
    } catch (e) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: `sse-harness: the real server did not answer: ${oneLine((e as Error).message, 200)}`,
          }),
        );
      } else res.destroy();
    } finally {
      if (path !== CHAT_STREAM_PATH) this.ledger.request(req.method ?? 'GET', path, res.statusCode, t);
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const up = new URL(this.upstream!.origin);
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && k !== 'accept-encoding') headers[k] = v;
    // The server sees what it would if the browser spoke to it directly: its own address as Host, and as the origin
    // of the page's requests (servers compare the two to refuse cross-site requests).
    headers.host = up.host;
    for (const h of ['origin', 'referer'] as const) {
      const v = headers[h];
      if (typeof v === 'string' && (v === this.origin || v.startsWith(`${this.origin}/`)))
        headers[h] = up.origin + v.slice(this.origin.length);
    }
    return new Promise<void>((done, fail) => {
      const upReq = httpRequest(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers, agent: false },
        (upRes) => {
          void this.answer(req, res, upRes, path).then(done, fail);
        },
      );
      upReq.on('error', fail);
      // A client that goes away mid-request (a stream closed, a page unloaded) takes the upstream request with it.
      res.on('close', () => upReq.destroy());
      req.pipe(upReq);
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, upRes: IncomingMessage, path: string): Promise<void> {
    const status = upRes.statusCode ?? 502;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    // The server's Connection header is passed on as it said it; a reply it ends by closing the connection is passed
    // on the same way, as the same bytes. (A release that answered HTTP/1.0 is answered in HTTP/1.1, as the mock does.)
    const connection = upRes.headers.connection;
    if (connection) headers.connection = connection;
    if (/\bclose\b/i.test(connection ?? '') && upRes.headers['content-length'] === undefined)
      res.useChunkedEncodingByDefault = false;
    const type = String(upRes.headers['content-type'] ?? '');

    if (type.startsWith('text/html') && status === 200) {
      let html = (await readAll(upRes, MAX_PAGE_BYTES)).toString('utf8');
      if (this.opts.transformHtml) html = this.opts.transformHtml(html, path);
      const body = this.opts.probe === false ? html : injectProbe(html);
      delete headers['content-length'];
      res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      return void res.end(body);
    }
    if (req.method === 'POST' && (path === '/api/session/new' || path === '/api/chat/start') && type.includes('json')) {
      const raw = await readAll(upRes, MAX_JSON_BYTES);
      this.learn(path, status, raw);
      res.writeHead(status, headers);
      return void res.end(raw);
    }
    if (path === CHAT_STREAM_PATH && status === 200 && type.startsWith('text/event-stream'))
      return this.passStream(req, res, upRes, status, headers);
    res.writeHead(status, headers);
    await new Promise<void>((ok) => {
      upRes.pipe(res);
      res.on('close', ok);
      upRes.on('error', () => res.destroy());
    });
  }

  /** Session and run ids from the server's replies, so the ledger and the oracles can name them. */
  private learn(path: string, status: number, raw: Buffer): void {
    let body: { session?: { session_id?: unknown }; stream_id?: unknown; session_id?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
    } catch {
      body = {};
    }
    // A refused start names no session; the oracle takes it for the session the user viewed then.
    if (path === '/api/chat/start') {
      const session = typeof body.session_id === 'string' ? body.session_id : null;
      this.timeline.add({ kind: 'turn-request', t: this.timeline.now(), session, path, status });
    }
    if (status !== 200) return;
    if (path === '/api/session/new' && typeof body.session?.session_id === 'string')
      this.sessions.set(body.session.session_id, true);
    if (path === '/api/chat/start' && typeof body.stream_id === 'string' && typeof body.session_id === 'string') {
      const session = body.session_id;
      this.sessions.set(session, true);
      const armed = this.armed.get(session) ?? this.armed.get('*') ?? { name: 'default', script: [] };
      this.armed.delete(session);
      this.runs.set(body.stream_id, new RealRun(body.stream_id, session, this.opts.control, armed.script));
      this.timeline.add({
        kind: 'run-start',
        t: this.timeline.now(),
        streamId: body.stream_id,
        session,
        script: armed.name,
      });
    }
  }

  /** A chat stream: passed on chunk by chunk, on the ledger from its first byte to its close, cut on a drop. */
  private passStream(
    req: IncomingMessage,
    res: ServerResponse,
    upRes: IncomingMessage,
    status: number,
    headers: Record<string, string | string[]>,
  ): Promise<void> {
    const { streamId, afterSeq } = chatStreamKey(req.url ?? '');
    const run = streamId ? this.runs.get(streamId) : undefined;
    const rec = this.ledger.open({ path: CHAT_STREAM_PATH, streamId, session: run?.session ?? null, afterSeq });
    res.writeHead(status, headers);
    res.flushHeaders();
    const frames = new FrameCounter();
    let flushed = Promise.resolve();
    let dropping = false;
    const passing: Passing = {
      rec,
      drop: () => {
        if (dropping) return;
        dropping = true;
        this.ledger.close(rec, 'server');
        upRes.destroy();
        // What was written gets a moment to be read off the socket first (a reset socket loses unread data).
        void flushed.then(() => setTimeout(() => res.destroy(), DROP_QUIET_MS));
      },
    };
    this.passing.add(passing);
    return new Promise<void>((done) => {
      upRes.on('data', (chunk: Buffer) => {
        if (dropping || res.destroyed) return;
        const { events, seq } = frames.scan(chunk.toString('utf8'));
        if (run && seq > run.lastSeq) run.lastSeq = seq;
        this.ledger.sent(rec, chunk.length, events);
        flushed = new Promise<void>((ok) => res.write(chunk, () => ok()));
      });
      upRes.on('end', () => {
        if (dropping) return;
        this.ledger.close(rec, 'server');
        res.end();
      });
      upRes.on('error', () => passing.drop());
      res.on('close', () => {
        // The client left first: the browser closed the stream (or the page went away).
        if (!dropping) this.ledger.close(rec, 'client');
        upRes.destroy();
        this.passing.delete(passing);
        done();
      });
    });
  }
}

/** Counts SSE events (blank-line ends) and the highest `id: <run>:<seq>` across chunk boundaries. */
class FrameCounter {
  private partial = '';
  private inEvent = false;
  scan(text: string): { events: number; seq: number } {
    const lines = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = lines.pop() ?? '';
    let events = 0;
    let seq = 0;
    for (const line of lines) {
      if (line === '') {
        if (this.inEvent) events++;
        this.inEvent = false;
        continue;
      }
      if (line.startsWith('data:')) this.inEvent = true;
      const m = /^id:\s*(?:[^:]*:)?(\d+)\s*$/.exec(line);
      if (m) seq = Math.max(seq, Number(m[1]));
    }
    return { events, seq };
  }
}

async function readAll(stream: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > max) throw new Error(`the server's reply is larger than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
