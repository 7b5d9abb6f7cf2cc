// A browser kept across runs must hand each run a clean page: nothing of the run before may still stream, poll or
// be stored where the next run can see it, even when the next run's backend gets the same port back.
import { createServer, type Server } from 'node:http';
import { expect, test } from '@playwright/test';
import { reapAll } from '../harness/driver/reaper.ts';
import { ReusedBrowser } from '../harness/driver/reuse.ts';
import { launcherOrSkip } from './support/browser.ts';

interface Site {
  server: Server;
  url: string;
  polls: number;
  streamsOpen: number;
  streamsClosed: number;
}

/** A page that streams (EventSource), polls every 100 ms, and stores a cookie, localStorage and sessionStorage. */
async function site(): Promise<Site> {
  const s: Site = { server: createServer(), url: '', polls: 0, streamsOpen: 0, streamsClosed: 0 };
  s.server.on('request', (req, res) => {
    if (req.url === '/es') {
      s.streamsOpen++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('data: hi\n\n');
      const beat = setInterval(() => res.write('data: more\n\n'), 100);
      req.on('close', () => {
        clearInterval(beat);
        s.streamsClosed++;
      });
      return;
    }
    if (req.url === '/poll') {
      s.polls++;
      res.end('ok');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(`<!doctype html><title>reuse</title><script>
      window.stored = JSON.stringify({ cookie: document.cookie, local: localStorage.getItem('k'), session: sessionStorage.getItem('k') });
      document.cookie = 'k=1; max-age=3600';
      localStorage.setItem('k', '1');
      sessionStorage.setItem('k', '1');
      new EventSource('/es');
      setInterval(() => fetch('/poll').catch(() => {}), 100);
    </script>`);
  });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(s.server.address() as { port: number }).port}/`;
  return s;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a kept browser gives the next run a clean page: the last one stops streaming and polling, its storage and emulated state are gone', async () => {
  const { launcher, launch } = launcherOrSkip();
  const kept = new ReusedBrowser(launcher);
  const first = await site();
  const second = await site();
  try {
    const a = await kept.launch(launch);
    await a.goto(first.url);
    await until('the first page to stream and poll', () => first.streamsOpen === 1 && first.polls >= 2);
    expect(await a.evaluate<string>('window.stored')).toBe(JSON.stringify({ cookie: '', local: null, session: null }));
    // The run ends with its page hidden and offline (a regression caught mid-step): the next page must not be.
    await a.hide();
    await a.setOffline(true);
    await a.close();
    await until("the first page's stream to close at its server", () => first.streamsClosed === 1);

    // The next run, on the same origin (a backend that got the same port back): nothing of the first is stored.
    const b = await kept.launch(launch);
    await b.goto(first.url);
    expect(await b.evaluate<string>('window.stored')).toBe(JSON.stringify({ cookie: '', local: null, session: null }));
    expect(await b.evaluate<[string, boolean]>('[document.visibilityState, navigator.onLine]')).toEqual([
      'visible',
      true,
    ]);
    await until('the second page to stream', () => first.streamsOpen === 2);
    await b.close();
    await until("the second page's stream to close at its server", () => first.streamsClosed === 2);
    const pollsAfterB = first.polls;

    // And a run elsewhere: while it polls ten times (a second), the pages before it poll no more (one request already
    // on its way at the close may still arrive).
    const c = await kept.launch(launch);
    await c.goto(second.url);
    await until('the third page to poll ten times', () => second.polls >= 10);
    expect(first.polls - pollsAfterB).toBeLessThanOrEqual(1);
    expect(first.streamsOpen).toBe(2);
    await c.close();
    await until("the third page's stream to close at its server", () => second.streamsClosed === 1);
  } finally {
    await kept.dispose();
    first.server.closeAllConnections();
    second.server.closeAllConnections();
    first.server.close();
    second.server.close();
    await reapAll();
  }
});
