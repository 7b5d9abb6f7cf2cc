// A minimal SSE reader over node:http for tests of the mock backend (frames, comments, abrupt ends).
import { request, type ClientRequest } from 'node:http';

export interface Frame {
  id: string;
  event: string;
  data: string;
  t: number;
}

export class SseReader {
  readonly events: Frame[] = [];
  readonly comments: { text: string; t: number }[] = [];
  failed = false;
  readonly ended: Promise<void>;
  /** The response's status and headers, once they came. */
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  private req!: ClientRequest;

  /** Reads `url` with extra request headers (Last-Event-ID, say). */
  constructor(url: string, headers: Record<string, string> = {}) {
    let buf = '';
    this.ended = new Promise((resolve) => {
      this.req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            this.parse(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => {
          this.failed = true;
          resolve();
        });
        res.on('aborted', () => {
          this.failed = true;
          resolve();
        });
      });
      this.req.on('error', () => {
        this.failed = true;
        resolve();
      });
      this.req.end();
    });
  }

  private parse(block: string): void {
    const f: Frame = { id: '', event: 'message', data: '', t: Date.now() };
    let isFrame = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push({ text: line.slice(1).trim(), t: Date.now() });
      else if (line.startsWith('id: ')) [f.id, isFrame] = [line.slice(4), true];
      else if (line.startsWith('event: ')) [f.event, isFrame] = [line.slice(7), true];
      else if (line.startsWith('data: ')) [f.data, isFrame] = [line.slice(6), true];
    }
    if (isFrame) this.events.push(f);
  }

  close(): void {
    this.req.destroy();
  }
}

/** Polls a condition until it holds or the deadline passes; tests never sleep blindly. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
