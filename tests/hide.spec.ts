// Hiding a Chromium page must not stall the streams it reads: a fetch body that got bytes while its page was frozen
// could get no more until its response ended, so a hidden-then-shown chat read as stuck (the harness's doing).
import { createServer, type ServerResponse } from 'node:http';
import { expect, test } from '@playwright/test';
import { reapAll } from '../harness/driver/reaper.ts';
import { launcherOrSkip, projectBrowser } from './support/browser.ts';

async function until(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a hidden Chromium page goes on reading its fetch stream, hidden and shown again', async () => {
  test.skip(projectBrowser().browser !== 'chromium', 'hide() freezes nothing outside Chromium');
  const { launcher, launch } = launcherOrSkip();
  let written = 0;
  let stream: ServerResponse | null = null;
  // Bytes every 2 ms, so some arrive during any moment the page spends frozen.
  const beat = setInterval(() => {
    if (!stream) return;
    stream.write('data: x\n\n');
    written += 9;
  }, 2);
  const server = createServer((req, res) => {
    if (req.url === '/s') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      stream = res;
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(`<!doctype html><title>hide</title><script>
      window.got = 0;
      fetch('/s').then(async (r) => {
        const reader = r.body.getReader();
        for (;;) { const x = await reader.read(); if (x.done) break; window.got += x.value.length; }
      });
    </script>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const page = await launcher.launch(launch);
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const got = () => page.evaluate<number>('window.got');
    await until('the page to read its stream', async () => (await got()) > 0);
    await page.hide();
    expect(await page.evaluate<string>('document.visibilityState')).toBe('hidden');
    // What the server had written by then (some of it while the page was being hidden) reaches the page, and more.
    const atHide = written;
    await until('the hidden page to read on', async () => (await got()) > atHide);
    await page.show();
    expect(await page.evaluate<string>('document.visibilityState')).toBe('visible');
    const atShow = written;
    await until('the shown page to read on', async () => (await got()) > atShow);
  } finally {
    clearInterval(beat);
    await page.close();
    server.closeAllConnections();
    server.close();
    await reapAll();
  }
});
