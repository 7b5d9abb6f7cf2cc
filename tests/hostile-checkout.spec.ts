// A chat UI's checkout is untrusted (a pull request's): its page must not read the runner's files through links in
// it, and odd files in it (a FIFO, a folder) must neither hang nor leak. The mock backend is started in-process and
// asked over real loopback sockets; no browser.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBackend } from '../harness/mock/backend.ts';
import { Timeline } from '../harness/timeline.ts';
import { hermesTarget } from '../harness/targets/hermes.ts';
import { bootSignal } from '../harness/targets/hermes-boot.ts';
import { hermesServerModel } from '../harness/targets/hermes-server.ts';
import { referenceTargetAt } from '../harness/targets/reference.ts';

const SECRET = 'runner secret: do not serve';
let tmp: string;
let backends: MockBackend[] = [];

test.beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sse-harness-test-checkout-'));
  writeFileSync(join(tmp, 'secret'), SECRET);
});

test.afterEach(async () => {
  for (const b of backends) await b.stop();
  backends = [];
  rmSync(tmp, { recursive: true, force: true });
});

/** A hermes-webui-shaped checkout at tmp/ui: static/index.html, a script, and what a hostile pull request adds. */
function hostileCheckout(): string {
  const ui = join(tmp, 'ui');
  mkdirSync(join(ui, 'static', 'sub'), { recursive: true });
  writeFileSync(join(ui, 'static', 'index.html'), '<!doctype html><html><head></head><body>ui</body></html>');
  writeFileSync(join(ui, 'static', 'app.js'), 'S._bootReady = true;');
  writeFileSync(join(ui, 'README.md'), 'inside the checkout');
  symlinkSync('/', join(ui, 'static', 'x'));
  symlinkSync('../../secret', join(ui, 'static', 'y'));
  symlinkSync('../README.md', join(ui, 'static', 'readme'));
  execFileSync('mkfifo', [join(ui, 'static', 'fifo'), join(ui, 'static', 'hang.js')]);
  return ui;
}

async function serve(
  opts: ConstructorParameters<typeof MockBackend>[0],
  timeline = new Timeline(),
): Promise<MockBackend> {
  const b = new MockBackend(opts, timeline);
  backends.push(b);
  await b.start();
  return b;
}

/** GET with a deadline: a server stuck on a FIFO would otherwise hold the test until its timeout. */
async function get(b: MockBackend, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${b.url}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: await r.text() };
}

test('the static server refuses links out of the checkout, FIFOs and folders, and still serves its files', async () => {
  const ui = hostileCheckout();
  const timeline = new Timeline();
  const b = await serve(hermesTarget(ui).backend(), timeline);
  for (const path of [
    '/static/x/etc/passwd',
    '/static/x/proc/self/environ',
    '/static/x' + join(tmp, 'secret'),
    '/static/y',
    '/session/static/y',
    '/static/fifo',
    '/static/hang.js',
  ]) {
    const r = await get(b, path);
    expect(r.status, path).toBe(403);
    expect(r.body, path).not.toContain(SECRET);
    expect(r.body, path).not.toContain('root:');
  }
  for (const path of ['/static/sub', '/static/sub/', '/static/nope.js', '/static/%2e%2e/%2e%2e/secret'])
    expect((await get(b, path)).status, path).toBeGreaterThanOrEqual(403);
  // What the checkout really holds is served: its pages (with the probe), its scripts, a link that stays inside it.
  const page = await get(b, '/');
  expect(page.status).toBe(200);
  expect(page.body).toContain('/__harness/probe.js');
  expect(await get(b, '/static/app.js')).toEqual({ status: 200, body: 'S._bootReady = true;' });
  expect(await get(b, '/static/readme')).toEqual({ status: 200, body: 'inside the checkout' });
  // The refusals are in the ledger like any request.
  expect(timeline.of('request').find((r) => r.path === '/static/x/etc/passwd')?.status).toBe(403);
});

test('a checkout whose static/ is a link out of it serves nothing of what it points at', async () => {
  const ui = join(tmp, 'ui');
  mkdirSync(join(tmp, 'elsewhere'), { recursive: true });
  writeFileSync(join(tmp, 'elsewhere', 'index.html'), `<html><head></head><body>${SECRET}</body></html>`);
  writeFileSync(join(tmp, 'elsewhere', 'app.js'), 'S._bootReady = true; _sessionListHasLoadedOnce = true');
  mkdirSync(ui);
  symlinkSync(join(tmp, 'elsewhere'), join(ui, 'static'));
  const target = hermesTarget(ui);
  // The scripts out there are not read either: the checkout counts as defining no boot flag.
  expect(target.readySignal).toBe('emptyState+sessionsAnswered');
  const b = await serve(target.backend());
  for (const path of ['/', '/index.html', '/static/app.js']) {
    const r = await get(b, path);
    expect(r.status, path).toBe(403);
    expect(r.body).not.toContain(SECRET);
  }
});

test("a target's own reads of the checkout pass over FIFOs and links out of it, without hanging", () => {
  const ui = hostileCheckout();
  // hang.js is a FIFO: reading it would wait for a writer for ever.
  expect(bootSignal(join(ui, 'static'), ui).name).toBe('bootReady+sessionsAnswered');
  mkdirSync(join(ui, 'api'));
  symlinkSync(join(tmp, 'secret'), join(ui, 'api', 'routes.py'));
  const linked = hermesServerModel(ui);
  expect(linked.why).toMatch(
    /^the checkout's api\/ files could not be read \(api\/routes\.py resolves outside the folder\)/,
  );
  expect(linked.why).not.toContain(SECRET);
  rmSync(join(ui, 'api', 'routes.py'));
  execFileSync('mkfifo', [join(ui, 'api', 'routes.py')]);
  expect(hermesServerModel(ui).why).toMatch(
    /^the checkout's api\/ files could not be read \(api\/routes\.py is not a regular file\)/,
  );
});

test('a copy of the reference UI given with --app-dir is confined the same way', async () => {
  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'index.html'), '<html><head></head><body></body></html>');
  symlinkSync(join(tmp, 'secret'), join(app, 'app.js'));
  const b = await serve(referenceTargetAt(app).backend());
  expect((await get(b, '/')).status).toBe(200);
  const r = await get(b, '/app.js');
  expect(r.status).toBe(403);
  expect(r.body).not.toContain(SECRET);
});
