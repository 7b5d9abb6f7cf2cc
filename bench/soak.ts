// npm run bench:soak [-- --minutes 10] : the mock backend under a long, churning load keeps its memory flat.
// Chats start back to back, 20 readers come and go on each (some vanish mid-stream, some read to the end), and
// the heap is sampled after a full GC every 10 s. The bound: the last minute's heap within BOUND_MB of the
// first minute's, and no upward trend.
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { MockBackend } from '../harness/mock/backend.ts';
import { Timeline } from '../harness/timeline.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BOUND_MB = 16;
const gc = (globalThis as { gc?: () => void }).gc;

async function main() {
  const opts = new Command('soak')
    .option('--minutes <n>', 'how long', '10')
    .parse(process.argv)
    .opts<{ minutes: string }>();
  const minutes = Number(opts.minutes);
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:soak does)');
  // One backend for the whole soak, like a long CI worker; reset() between "scenarios" as the runner does.
  const backend = new MockBackend({ root: join(ROOT, 'fixtures', 'chat-ui'), heartbeatMs: 500 }, new Timeline());
  await backend.start();
  const port = Number(new URL(backend.url).port);
  const end = Date.now() + minutes * 60_000;
  const samples: { t: number; heapMB: number; rssMB: number; runs: number }[] = [];
  let chats = 0;
  let events = 0;
  const sample = () => {
    gc!();
    const m = process.memoryUsage();
    samples.push({
      t: Math.round((Date.now() - (end - minutes * 60_000)) / 1000),
      heapMB: +(m.heapUsed / 2 ** 20).toFixed(1),
      rssMB: +(m.rss / 2 ** 20).toFixed(1),
      runs: backend.runs.size,
    });
    process.stderr.write(
      `  t=${samples.at(-1)!.t}s heap ${samples.at(-1)!.heapMB} MB rss ${samples.at(-1)!.rssMB} MB, ${chats} chats, ${events} events\n`,
    );
  };
  const timer = setInterval(sample, 10_000);
  sample();
  let scenario = 0;
  while (Date.now() < end) {
    // A "scenario": 10 chats, then a reset, like back-to-back scenario runs on one server.
    if (chats % 10 === 0) {
      backend.reset(new Timeline());
      scenario++;
    }
    const s = (await (await fetch(`${backend.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
      session: { session_id: string };
    };
    backend.arm(s.session.session_id, 'soak', [
      { tokens: { count: 300, rate: 600 } },
      { drop: true },
      { tokens: { count: 100, rate: 600 } },
    ]);
    const r = await fetch(`${backend.url}/api/chat/start`, {
      method: 'POST',
      body: JSON.stringify({ session_id: s.session.session_id, message: 'x' }),
    });
    const id = ((await r.json()) as { stream_id: string }).stream_id;
    chats++;
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<void>((ok) => {
            const sock = connect(port, '127.0.0.1');
            sock.setEncoding('utf8');
            sock.on('data', (d: string) => {
              events += d.split('\n\n').length - 1;
              if (i % 4 === 0 && events % 7 === 0) sock.destroy(); // vanish mid-stream
            });
            sock.on('close', () => ok());
            sock.on('error', () => ok());
            sock.write(
              `GET /api/chat/stream?stream_id=${id}&after_seq=${i * 5} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
            );
          }),
      ),
    );
  }
  clearInterval(timer);
  sample();
  await backend.stop();
  const first = samples.filter((x) => x.t <= 60).map((x) => x.heapMB);
  const last = samples.filter((x) => x.t >= samples.at(-1)!.t - 60).map((x) => x.heapMB);
  const a = Math.max(...first);
  const b = Math.max(...last);
  const ok = b - a <= BOUND_MB;
  process.stdout.write(
    `soak ${minutes} min: ${chats} chats in ${scenario} scenario resets, ${events} SSE frames; heap first minute ≤ ${a} MB, last minute ≤ ${b} MB (bound +${BOUND_MB} MB): ${ok ? 'flat' : 'GROWING'}\n`,
  );
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`soak: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
