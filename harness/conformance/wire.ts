// A client of the chat server's wire protocol, for conformance cases: JSON requests, and SSE streams read frame by
// frame with the time each arrived. No browser: what a case sees is what the server sent.
import { request } from 'node:http';

export interface Frame {
  /** ms since the stream's response began */
  t: number;
  id: string | null;
  event: string;
  data: string;
}

export interface JsonReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The largest reply a case reads: a server that streams more than this is not one the cases describe. */
const MAX_REPLY_BYTES = 8 * 1024 * 1024;

function flat(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function jsonRequest(
  origin: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 15_000,
): Promise<JsonReply> {
  const url = new URL(path, origin);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((ok, fail) => {
    const req = request(
      url,
      {
        method,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          if (n > MAX_REPLY_BYTES)
            return void req.destroy(new Error(`${method} ${path}: reply larger than ${MAX_REPLY_BYTES} bytes`));
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: the case sees the text.
          }
          ok({ status: res.statusCode ?? 0, headers: flat(res.headers), body: parsed });
        });
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no reply within ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end(payload);
  });
}

/** One SSE response being read. */
export class WireStream {
  status = 0;
  headers: Record<string, string> = {};
  readonly frames: Frame[] = [];
  /** The server ended the response (not the client). */
  ended = false;
  /** The connection was lost before the response ended (a drop), or the client closed it. */
  cut = false;
  private started = 0;
  private partial = '';
  private pending: { id: string | null; event: string; data: string[] } = { id: null, event: 'message', data: [] };
  private waiters = new Set<() => void>();
  private destroy: () => void = () => {};
  private readonly ready: Promise<void>;

  constructor(origin: string, path: string, headers: Record<string, string> = {}) {
    this.ready = new Promise((ok, fail) => {
      const req = request(new URL(path, origin), { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = flat(res.headers);
        this.started = Date.now();
        res.setEncoding('utf8');
        res.on('data', (text: string) => this.feed(text));
        res.on('end', () => {
          this.ended = true;
          this.wake();
        });
        res.on('error', () => this.wake());
        res.on('close', () => {
          if (!this.ended) this.cut = true;
          this.wake();
        });
        ok();
      });
      req.on('error', fail);
      this.destroy = () => req.destroy();
      req.end();
    });
  }

  /** Resolves once the response headers arrived. */
  opened(): Promise<void> {
    return this.ready;
  }

  /** Waits until check() holds or ms pass; returns whether it held. */
  async until(check: () => boolean, ms: number): Promise<boolean> {
    await this.ready;
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ended || this.cut) return check();
      await new Promise<void>((ok) => {
        const t = setTimeout(done, left);
        function done() {
          clearTimeout(t);
          ok();
        }
        this.waiters.add(done);
      });
    }
    return true;
  }

  /** Reads for ms (or until the server ends the response). */
  async readFor(ms: number): Promise<this> {
    await this.until(() => false, ms);
    return this;
  }

  close(): void {
    this.destroy();
    this.wake();
  }

  private wake(): void {
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  private feed(text: string): void {
    const lines = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (this.pending.data.length)
          this.frames.push({
            t: Date.now() - this.started,
            id: this.pending.id,
            event: this.pending.event,
            data: this.pending.data.join('\n'),
          });
        this.pending = { id: null, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.pending.data.push(value);
      else if (field === 'event') this.pending.event = value;
      else if (field === 'id') this.pending.id = value;
    }
    this.wake();
  }
}
