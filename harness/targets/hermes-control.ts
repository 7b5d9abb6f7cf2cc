// The control channel of the stub agent (stub-agents/hermes) that the real hermes-webui server runs: it hands each
// turn its script, passes hurry and cancel on to a running turn, and hears when turns start, end and drop sockets.
// The stub finds it through SSE_HARNESS_CONTROL = `url`. Protocol (docs/hermes-real.md#control-channel):
//   GET  <url>/run?session=ID  200, one JSON object a line: {"script":{name,items}}, later {"hurry":true} and
//                              {"cancel":true}; the answer stays open until the turn closes it or the channel stops.
//   POST <url>/event           {"kind":"run-start"|"run-end"|"drop","session":ID,"reason"?:"complete"|"cancel"|"error"}
// Any other path, method or secret gets 404.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import type { AgentControl, AgentEvent } from '../mock/real-backend.ts';
import { DEFAULT_TOKEN_RATE, type StreamItem } from '../scenario/schema.ts';

export interface ControlScript {
  name: string;
  items: StreamItem[];
}

export const controlEventSchema = z
  .object({
    kind: z.enum(['run-start', 'run-end', 'drop']),
    session: z.string().max(1024),
    reason: z.enum(['complete', 'cancel', 'error']).optional(),
  })
  .strict();
export type ControlEvent = Z.infer<typeof controlEventSchema>;

/** What a turn plays when nothing was armed for its session: the stub's own default when it runs without a channel. */
export const DEFAULT_CONTROL_SCRIPT: ControlScript = {
  name: 'default',
  items: [{ tokens: { count: 20, rate: DEFAULT_TOKEN_RATE } }],
};

/** An event body is a few dozen bytes; a larger one is refused before it is read whole. */
const MAX_EVENT_BYTES = 64 * 1024;

export interface ControlOptions {
  /** Called with every event a turn reports. */
  onEvent?: (event: ControlEvent) => void;
  /** Played by a turn of a session nothing is armed for (default: 20 tokens at 20/s). */
  fallback?: ControlScript;
}

export class HermesControl {
  /** SSE_HARNESS_CONTROL for the stub: http://127.0.0.1:<port>/<secret>. */
  readonly url: string;
  private readonly armed = new Map<string, ControlScript>();
  /** The open /run answers, by session. */
  private readonly runs = new Map<string, Set<ServerResponse>>();

  private constructor(
    private readonly server: Server,
    private readonly secret: string,
    private readonly opts: ControlOptions,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${secret}`;
  }

  static async start(opts: ControlOptions = {}): Promise<HermesControl> {
    const secret = randomBytes(18).toString('base64url');
    const server = createServer();
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    const control = new HermesControl(server, secret, opts);
    server.on('request', (req, res) => control.handle(req, res));
    return control;
  }

  /** The script of the session's next turn; '*' for every session that has none armed (kept until replaced). */
  arm(session: string, script: ControlScript): void {
    this.armed.set(session, script);
  }

  /** Tells the session's running turns (every running turn without a session) to play the rest at once. */
  hurry(session?: string): number {
    return this.send(session, { hurry: true });
  }

  /** Tells the session's running turns (every running turn without a session) to stop where they are. */
  cancel(session?: string): number {
    return this.send(session, { cancel: true });
  }

  /** Sessions with a turn connected now. */
  running(): string[] {
    return [...this.runs].filter(([, set]) => set.size > 0).map(([s]) => s);
  }

  /** How many turns of the session are connected now. */
  turns(session: string): number {
    return this.runs.get(session)?.size ?? 0;
  }

  async close(): Promise<void> {
    for (const set of this.runs.values()) for (const res of set) res.end();
    this.runs.clear();
    await new Promise<void>((ok) => {
      this.server.close(() => ok());
      this.server.closeAllConnections();
    });
  }

  private send(session: string | undefined, command: Record<string, true>): number {
    const line = `${JSON.stringify(command)}\n`;
    let n = 0;
    for (const [s, set] of this.runs) {
      if (session !== undefined && s !== session) continue;
      for (const res of set) {
        res.write(line);
        n++;
      }
    }
    return n;
  }

  /** The path after the secret, or null when the secret does not match. */
  private route(url: string): { path: string; query: URLSearchParams } | null {
    const u = new URL(url, 'http://control');
    const [, given = '', ...rest] = u.pathname.split('/');
    const a = Buffer.from(given);
    const b = Buffer.from(this.secret);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
    return { path: `/${rest.join('/')}`, query: u.searchParams };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const r = this.route(req.url ?? '/');
    if (r && req.method === 'GET' && r.path === '/run') return this.run(r.query.get('session') ?? '', res);
    if (r && req.method === 'POST' && r.path === '/event') return void this.event(req, res).catch(() => res.destroy());
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }

  private run(session: string, res: ServerResponse): void {
    const script = this.armed.get(session) ?? this.armed.get('*') ?? this.opts.fallback ?? DEFAULT_CONTROL_SCRIPT;
    this.armed.delete(session);
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.write(`${JSON.stringify({ script: { name: script.name, items: script.items } })}\n`);
    let set = this.runs.get(session);
    if (!set) this.runs.set(session, (set = new Set()));
    set.add(res);
    res.on('close', () => {
      set.delete(res);
      if (!set.size && this.runs.get(session) === set) this.runs.delete(session);
    });
  }

  private async event(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_EVENT_BYTES) {
        res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('event too large\n');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    let parsed: ReturnType<typeof controlEventSchema.safeParse>;
    try {
      parsed = controlEventSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('an event is a JSON object\n');
      return;
    }
    if (!parsed.success) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('an event is {"kind","session","reason"?}\n');
      return;
    }
    res.writeHead(204).end();
    this.opts.onEvent?.(parsed.data);
  }
}

/** The channel as the harness's front drives it (AgentControl): started and stopped with the run's backend. */
export function hermesAgentControl(): AgentControl {
  let control: HermesControl | null = null;
  const listeners: ((e: AgentEvent) => void)[] = [];
  return {
    get url() {
      return control?.url ?? '';
    },
    async start() {
      control = await HermesControl.start({ onEvent: (e) => listeners.forEach((l) => l(e)) });
      return control.url;
    },
    async stop() {
      await control?.close();
      control = null;
    },
    arm: (session, script) => control?.arm(session, script),
    hurry: (session) => void control?.hurry(session),
    onEvent: (l) => void listeners.push(l),
  };
}
