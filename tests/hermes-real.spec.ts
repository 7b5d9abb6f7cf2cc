// The real hermes-webui server with the stub agent: the control channel (always), the stub played by Python against
// the channel without any server (when python3 is here), a checkout that cannot boot (synthetic), and a real
// checkout (HERMES_WEBUI_DIR) booted, chatted with over plain HTTP, hurried, stopped and cleaned up.
import { test, expect } from '@playwright/test';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scriptedAnswer } from '../harness/mock/player.ts';
import type { StreamItem } from '../harness/scenario/schema.ts';
import { HermesControl, type ControlEvent } from '../harness/targets/hermes-control.ts';
import {
  bootFailure,
  HermesRealError,
  HermesRealServer,
  pythonCommand,
  STUB_AGENT_DIR,
} from '../harness/targets/hermes-real.ts';
import { SseReader, until } from './support/sse-client.ts';

const dirs: string[] = [];
test.afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** GET or POST on loopback; the status and body. */
function call(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** Reads a /run answer line by line, as the stub does. */
class RunReader {
  readonly lines: unknown[] = [];
  status = 0;
  private req;
  constructor(url: string) {
    let buf = '';
    this.req = request(url, (res) => {
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8').on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      });
    });
    this.req.on('error', () => {});
    this.req.end();
  }
  close(): void {
    this.req.destroy();
  }
}

const SCRIPT = (name: string, items: StreamItem[]) => ({ name, items });

test.describe('control channel', () => {
  test('serves only under its secret, hands out armed scripts and passes hurry and cancel on to running turns', async () => {
    const events: ControlEvent[] = [];
    const control = await HermesControl.start({ onEvent: (e) => events.push(e) });
    try {
      expect(control.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}$/);
      const origin = new URL(control.url).origin;
      for (const [path, method] of [
        ['/run?session=a', 'GET'],
        ['/nope/run?session=a', 'GET'],
        [`${new URL(control.url).pathname}/runs?session=a`, 'GET'],
        [`${new URL(control.url).pathname}/run?session=a`, 'POST'],
        [`${new URL(control.url).pathname}/event`, 'GET'],
      ] as const) {
        expect((await call(origin + path, method)).status, `${method} ${path}`).toBe(404);
      }

      control.arm('a', SCRIPT('for-a', [{ tokens: { count: 3 } }]));
      control.arm('*', SCRIPT('any', [{ burst: { count: 2 } }]));
      const a1 = new RunReader(`${control.url}/run?session=a`);
      const b1 = new RunReader(`${control.url}/run?session=b`);
      await until(() => a1.lines.length === 1 && b1.lines.length === 1);
      expect(a1.lines[0]).toEqual({ script: { name: 'for-a', items: [{ tokens: { count: 3 } }] } });
      expect(b1.lines[0]).toEqual({ script: { name: 'any', items: [{ burst: { count: 2 } }] } });
      // A session's own script is used once; '*' stays.
      const a2 = new RunReader(`${control.url}/run?session=a`);
      await until(() => a2.lines.length === 1);
      expect(a2.lines[0]).toMatchObject({ script: { name: 'any' } });
      a2.close();
      await until(() => control.turns('a') === 1 && control.turns('b') === 1);
      expect(control.running().sort()).toEqual(['a', 'b']);

      expect(control.hurry('a')).toBe(1);
      await until(() => a1.lines.length === 2);
      expect(a1.lines[1]).toEqual({ hurry: true });
      expect(b1.lines).toHaveLength(1);
      expect(control.cancel()).toBe(2);
      await until(() => a1.lines.length === 3 && b1.lines.length === 2);
      expect(b1.lines[1]).toEqual({ cancel: true });

      const post = (body: string) => call(`${control.url}/event`, 'POST', body);
      expect((await post('{"kind":"run-start","session":"a"}')).status).toBe(204);
      expect((await post('{"kind":"run-end","session":"a","reason":"cancel"}')).status).toBe(204);
      expect((await post('{"kind":"run-end","session":"a","reason":"bored"}')).status).toBe(400);
      expect((await post('{"kind":"start"}')).status).toBe(400);
      expect((await post('not json')).status).toBe(400);
      expect((await post(JSON.stringify({ kind: 'drop', session: 'x'.repeat(70_000) }))).status).toBe(413);
      expect(events).toEqual([
        { kind: 'run-start', session: 'a' },
        { kind: 'run-end', session: 'a', reason: 'cancel' },
      ]);
      a1.close();
      b1.close();
    } finally {
      await control.close();
    }
  });

  test('without anything armed a turn gets the default script', async () => {
    const control = await HermesControl.start();
    try {
      const r = new RunReader(`${control.url}/run?session=z`);
      await until(() => r.lines.length === 1);
      expect(r.lines[0]).toEqual({ script: { name: 'default', items: [{ tokens: { count: 20, rate: 20 } }] } });
      r.close();
    } finally {
      await control.close();
    }
  });
});

const python = pythonCommand();
const hasPython =
  spawnSync(python, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)']).status === 0;

/** Python processes a test started: a test that fails while one plays a long script must not leave it running. */
const pythons = new Set<ChildProcess>();
test.afterEach(() => {
  for (const child of pythons) child.kill('SIGKILL');
  pythons.clear();
});

/** Runs Python with the stub agent on its path; stdout parsed as JSON. */
function runPython(code: string, env: Record<string, string> = {}): Promise<{ out: unknown; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(python, ['-c', code], {
      env: { PATH: process.env.PATH, PYTHONPATH: STUB_AGENT_DIR, PYTHONDONTWRITEBYTECODE: '1', ...env },
    });
    pythons.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', fail);
    child.on('close', (code) => {
      pythons.delete(child);
      if (code !== 0) return fail(new Error(`python exited ${code}: ${err}`));
      try {
        ok({ out: JSON.parse(out), stderr: err });
      } catch {
        fail(new Error(`python printed no JSON: ${out} ${err}`));
      }
    });
  });
}

test.describe('stub agent, played without a server', () => {
  test.skip(!hasPython, `${python} (3.8 or later) is not here: the stub agent cannot be run`);

  test('token texts are the mock player’s, word for word', async () => {
    const args = [
      { count: 30 },
      { text: 'Hello,  wide\u00a0world\ttab\nline \ufeffbom\u0085nel\u001cfs end' },
      { count: 1 },
      { text: 'x' },
    ];
    const items: StreamItem[] = args.map((a) => ({ tokens: a }));
    const { out } = await runPython(
      'import json, os\nfrom sse_harness_stub.script import scripted_answer\nprint(json.dumps(scripted_answer(json.loads(os.environ["ITEMS"]))))',
      {
        ITEMS: JSON.stringify(items),
      },
    );
    expect(out).toEqual(scriptedAnswer(items));
  });

  test('plays an armed script through the callbacks, reports start and end, and stops on interrupt or cancel', async () => {
    const events: ControlEvent[] = [];
    const control = await HermesControl.start({ onEvent: (e) => events.push(e) });
    try {
      const items: StreamItem[] = [
        { reasoning: 'hm' },
        { tokens: { count: 4, rate: 1000 } },
        { tool: { name: 'grep', preview: 'p', duration: 10 } },
        { drop: true },
        { event: { name: 'status', data: {} } },
        { burst: { text: 'a b' } },
      ];
      control.arm('s1', SCRIPT('full', items));
      // A turn that runs until the server interrupts it, one the harness cancels, and one whose script errs.
      control.arm('s2', SCRIPT('long', [{ tokens: { count: 1000, rate: 1 } }]));
      control.arm('s3', SCRIPT('long', [{ tokens: { count: 1000, rate: 1 } }]));
      control.arm(
        's4',
        SCRIPT('err', [
          { tokens: { count: 2 } },
          { apperror: { message: 'scripted failure' } },
          { tokens: { count: 2 } },
        ]),
      );
      const code = `
import json, threading, time
from run_agent import AIAgent
calls = []
def agent(sid):
    a = AIAgent(session_id=sid, model='m', stream_delta_callback=lambda t: calls.append(['token', t]),
                reasoning_callback=lambda t: calls.append(['reasoning', t]),
                tool_progress_callback=lambda *a, **k: calls.append(['tool', list(a), sorted(k)]))
    return a
r1 = agent('s1').run_conversation(user_message='hi', conversation_history=[], task_id='s1')
a2 = agent('s2')
threading.Timer(0.5, lambda: a2.interrupt('Cancelled by user')).start()
t = time.monotonic(); r2 = a2.run_conversation(user_message='hi', task_id='s2'); d2 = time.monotonic() - t
a3 = agent('s3')
t = time.monotonic(); r3 = a3.run_conversation(user_message='hi', task_id='s3'); d3 = time.monotonic() - t
try:
    agent('s4').run_conversation(user_message='hi', task_id='s4'); e4 = None
except Exception as e:
    e4 = [type(e).__name__, str(e)]
print(json.dumps({'calls': calls, 'r1': r1, 'r2': r2, 'r3': r3, 'e4': e4, 'quick': d2 < 5 and d3 < 5}))
`;
      const run = runPython(code, { SSE_HARNESS_CONTROL: control.url });
      // s3 is stopped by the harness once it has started.
      await until(() => events.some((e) => e.kind === 'run-start' && e.session === 's3'), 20_000);
      expect(control.cancel('s3')).toBe(1);
      const { out } = (await run) as {
        out: {
          calls: unknown[][];
          r1: Record<string, unknown>;
          r2: Record<string, unknown>;
          r3: Record<string, unknown>;
          e4: string[];
          quick: boolean;
        };
      };
      const s1 = out.calls.slice(0, 9);
      expect(s1).toEqual([
        ['reasoning', 'hm'],
        ['token', 'lorem0 '],
        ['token', 'ipsum1 '],
        ['token', 'dolor2 '],
        ['token', 'sit3 '],
        ['tool', ['tool.started', 'grep', 'p', {}], []],
        ['tool', ['tool.completed', 'grep', 'p', {}], ['duration', 'is_error']],
        ['token', 'a '],
        ['token', 'b'],
      ]);
      expect(out.r1).toMatchObject({ final_response: 'lorem0 ipsum1 dolor2 sit3 a b', completed: true });
      expect(out.r1.messages).toEqual([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'lorem0 ipsum1 dolor2 sit3 a b' },
      ]);
      expect(out.r2).toMatchObject({ completed: false, interrupted: true });
      expect(out.r3).toMatchObject({ completed: false, interrupted: true });
      expect(out.quick).toBe(true);
      expect(out.e4).toEqual(['AppError', 'scripted failure']);
      expect(events).toEqual([
        { kind: 'run-start', session: 's1' },
        { kind: 'drop', session: 's1' },
        { kind: 'run-end', session: 's1', reason: 'complete' },
        { kind: 'run-start', session: 's2' },
        { kind: 'run-end', session: 's2', reason: 'cancel' },
        { kind: 'run-start', session: 's3' },
        { kind: 'run-end', session: 's3', reason: 'cancel' },
        { kind: 'run-start', session: 's4' },
        { kind: 'run-end', session: 's4', reason: 'error' },
      ]);
    } finally {
      await control.close();
    }
  });

  test('without a control channel the default script plays: 20 tokens', async () => {
    const { out } = await runPython(
      `import json\nfrom run_agent import AIAgent\nt = []\nr = AIAgent(stream_delta_callback=t.append).run_conversation('hi')\nprint(json.dumps([t, r['completed']]))`,
    );
    expect(out).toEqual([scriptedAnswer([{ tokens: { count: 20 } }]), true]);
  });
});

test.describe('a checkout the stub cannot serve', () => {
  test.skip(!hasPython, `${python} is not here`);

  test('is one sentence naming what is missing, and nothing is left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sse-harness-hermes-bad-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html>');
    // A server whose import of an agent module fails at boot, with a hostile character in its output.
    writeFileSync(
      join(dir, 'server.py'),
      'import sys\nprint("starting\\x1b[2J")\nimport hermes_cli.boot_only_module\n',
    );
    const lines: string[] = [];
    const err = await HermesRealServer.start({ appDir: dir, onLine: (l) => lines.push(l) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HermesRealError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^sse-harness: hermes-webui \S+ at .* did not boot with the stub agent: ModuleNotFoundError: No module named 'hermes_cli'$/,
    );
    // eslint-disable-next-line no-control-regex -- no control character may reach the message
    expect(message).not.toMatch(/[\u0000-\u001f]|Traceback|File "/);
    expect(lines.some((l) => l.includes('Traceback'))).toBe(true);

    rmSync(join(dir, 'server.py'));
    const noServer = await HermesRealServer.start({ appDir: dir }).catch((e: Error) => e.message);
    expect(noServer).toBe(
      `sse-harness: ${dir} has no server.py, so its server cannot be run: give a hermes-webui checkout from v0.51.0 or later.`,
    );
  });

  test('the failure line is the exception, not the traceback, made printable', () => {
    const chained = [
      'Traceback (most recent call last):',
      'KeyError: HOME',
      '',
      'During handling of the above exception, another exception occurred:',
      '  File "server.py", line 3',
    ];
    expect(
      bootFailure([...chained, 'ImportError: cannot import name \u001b[31mX\u001b[0m', '[webui] {"path": "/x"}']),
    ).toBe('ImportError: cannot import name \\u001b[31mX\\u001b[0m');
    expect(bootFailure(['a', '', 'b', 'c'])).toBe('b / c');
    expect(bootFailure([])).toBe('it wrote nothing');
  });
});

test.describe('against a hermes-webui checkout', () => {
  const dir = process.env.HERMES_WEBUI_DIR;
  test.skip(!dir, 'HERMES_WEBUI_DIR is not set: point it at a hermes-webui checkout to run these');

  test.describe.configure({ mode: 'serial' });

  let control: HermesControl;
  let server: HermesRealServer;
  const events: ControlEvent[] = [];
  /** What git sees in the checkout, ignored files included: the server must leave it as it was. */
  const checkoutState = () =>
    execFileSync('git', ['-C', dir!, 'status', '--porcelain', '--ignored'], { encoding: 'utf8' });
  let before = '';
  test.beforeAll(async () => {
    before = checkoutState();
    control = await HermesControl.start({ onEvent: (e) => events.push(e) });
    server = await HermesRealServer.start({ appDir: dir!, control: control.url });
  });
  test.afterAll(async () => {
    await server?.stop();
    await control?.close();
  });

  const post = async (path: string, body: unknown) => {
    const r = await call(server.origin + path, 'POST', JSON.stringify(body));
    expect(r.status, `${path}: ${r.body.slice(0, 300)}`).toBe(200);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  /** A new session whose next turn plays the script; the chat started and its stream read from the first event. */
  const chat = async (items: StreamItem[], existing?: string) => {
    const session = existing ?? ((await post('/api/session/new', {})).session as { session_id: string }).session_id;
    control.arm(session, SCRIPT('test', items));
    const started = await post('/api/chat/start', { session_id: session, message: 'hello' });
    const streamId = String(started.stream_id);
    const sse = new SseReader(`${server.origin}/api/chat/stream?stream_id=${encodeURIComponent(streamId)}`);
    return { session, streamId, sse };
  };
  const tokens = (sse: SseReader) =>
    sse.events.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text);
  const ended = (session: string) => events.find((e) => e.kind === 'run-end' && e.session === session);
  /**
   * Waits for the stream's last event. Not for the response's end: early releases answer with Connection: keep-alive
   * and neither a length nor chunks, so the reply only ends when the server drops the idle connection.
   */
  const last = async (sse: SseReader, event: 'stream_end' | 'cancel') => {
    await until(() => sse.events.some((e) => e.event === event), 30_000);
    sse.close();
  };

  test('boots on loopback in its own folder, and a chat streams exactly the scripted tokens', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.folder.startsWith(tmpdir()) || server.folder.includes('sse-harness')).toBe(true);
    const items: StreamItem[] = [
      { wait: 200 },
      { reasoning: 'thinking' },
      { tokens: { count: 25, rate: 100 } },
      { tool: { name: 'search', duration: 50 } },
      { burst: { text: 'exact words, then  more ' } },
    ];
    const { session, sse } = await chat(items);
    await last(sse, 'stream_end');
    expect(sse.status).toBe(200);
    expect(tokens(sse)).toEqual(scriptedAnswer(items));
    const names = sse.events.map((e) => e.event);
    expect(names).toContain('done');
    expect(names).toContain('tool');
    expect(names).toContain('reasoning');
    expect(events.filter((e) => e.session === session)).toEqual([
      { kind: 'run-start', session },
      { kind: 'run-end', session, reason: 'complete' },
    ]);
  });

  test('a second turn of the session plays its own script through the agent the server kept', async () => {
    const first = await chat([{ tokens: { count: 3, rate: 100 } }]);
    await last(first.sse, 'stream_end');
    const items: StreamItem[] = [{ burst: { text: 'second turn ' } }, { tokens: { count: 4, rate: 100 } }];
    const second = await chat(items, first.session);
    await last(second.sse, 'stream_end');
    expect(tokens(second.sse)).toEqual(scriptedAnswer(items));
    expect(events.filter((e) => e.session === first.session && e.kind === 'run-end')).toHaveLength(2);
  });

  test('hurry plays the rest at once', async () => {
    // 200 s as scripted: the deadline below is far shorter, so only hurry can end it in time.
    const items: StreamItem[] = [{ tokens: { count: 200, rate: 1 } }];
    const { session, sse } = await chat(items);
    await until(() => tokens(sse).length >= 1, 20_000);
    expect(control.hurry(session)).toBe(1);
    await until(() => ended(session) !== undefined, 30_000);
    await last(sse, 'stream_end');
    expect(tokens(sse)).toEqual(scriptedAnswer(items));
    expect(ended(session)!.reason).toBe('complete');
  });

  test('the server’s stop (GET /api/chat/cancel) ends the turn', async () => {
    const { session, streamId, sse } = await chat([{ tokens: { count: 200, rate: 1 } }]);
    await until(() => tokens(sse).length >= 1, 20_000);
    expect((await call(`${server.origin}/api/chat/cancel?stream_id=${encodeURIComponent(streamId)}`)).status).toBe(200);
    await until(() => ended(session) !== undefined, 30_000);
    await last(sse, 'cancel');
    expect(ended(session)!.reason).toBe('cancel');
    expect(tokens(sse).length).toBeLessThan(200);
    expect(server.running).toBe(true);
  });

  test('an agent the server cannot import is one sentence naming the module', async () => {
    const agent = mkdtempSync(join(tmpdir(), 'sse-harness-agent-'));
    dirs.push(agent);
    writeFileSync(join(agent, 'run_agent.py'), 'import hermes_cli.not_in_the_stub\n');
    const message = await HermesRealServer.start({ appDir: dir!, agentDir: agent }).then(
      (s) => s.stop().then(() => 'booted'),
      (e: Error) => e.message,
    );
    expect(message).toMatch(
      /^sse-harness: hermes-webui \S+ at .* cannot use the stub agent: .*missing modules: \['run_agent'\] \(run_agent: ModuleNotFoundError: No module named 'hermes_cli'\)$/,
    );
  });

  test('stop ends the server and removes its folder; the checkout is left as it was', async () => {
    const { folder, origin } = server;
    expect(existsSync(join(folder, 'home', '.hermes', 'webui', 'sessions'))).toBe(true);
    await server.stop();
    expect(server.running).toBe(false);
    expect(existsSync(folder)).toBe(false);
    expect(
      await call(`${origin}/health`).then(
        (r) => r.status,
        () => 'refused',
      ),
    ).toBe('refused');
    expect(checkoutState()).toBe(before);
  });
});
