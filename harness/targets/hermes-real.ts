// The real hermes-webui server of a checkout, started for one run with the harness's stub agent in place of
// hermes-agent: loopback only, an ephemeral port, auth off, no update checks, no network, and every file it writes
// inside one temporary folder that stop() removes. Nothing of the checkout is copied; its server.py runs as released.
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { removeTempDir, spawnTracked, stopTracked, tempDir } from '../driver/reaper.ts';
import { ROOT } from '../paths.ts';
import { oneLine } from '../printable.ts';
import { hermesAppDir, hermesVersion } from './hermes-checkout.ts';

/** The stub agent hermes-webui imports as its agent (HERMES_WEBUI_AGENT_DIR). */
export const STUB_AGENT_DIR = join(ROOT, 'stub-agents', 'hermes');

/** The Python the server runs on, unless SSE_HARNESS_PYTHON names another. */
export const pythonCommand = (): string => process.env.SSE_HARNESS_PYTHON?.trim() || 'python3';

/** A boot takes 1-3 s on two cores; a server that has not answered by then is stuck, not slow. */
const DEFAULT_BOOT_TIMEOUT_MS = 30_000;
/** How long the server gets to shut down on SIGTERM before its group is killed. */
const STOP_GRACE_MS = 3_000;
/** Lines of the server's output kept for an error message and for logTail(). */
const TAIL_LINES = 200;
/** Another process may take the probed port before the server binds it; this many ports are tried. */
const PORT_ATTEMPTS = 3;

/** A checkout the stub cannot serve, a Python that is missing, a server that did not answer: one sentence. */
export class HermesRealError extends Error {}

export interface HermesRealOptions {
  /** The hermes-webui checkout whose server.py runs. */
  appDir: string;
  /** SSE_HARNESS_CONTROL for the stub agent (HermesControl.url); without it the stub plays its default script. */
  control?: string;
  bootTimeoutMs?: number;
  /** The agent folder copied in as HERMES_WEBUI_AGENT_DIR (default: the stub, STUB_AGENT_DIR). */
  agentDir?: string;
  /** Every line the server writes (stdout and stderr), as it comes: the checkout's text, raw (printable() it to show it). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** A port free on loopback now: the server is told it, since it binds the port it is given and names no other. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok, fail) => {
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** GET /health answers 200. */
function healthy(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 1_000 }, (res) => {
      res.resume();
      ok(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => ok(false));
    req.end();
  });
}

/** Keeps the last lines of a stream, calling onLine for each. */
class Tail {
  readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly onLine?: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }
  flush(): void {
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }
  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    this.onLine?.(line);
  }
}

/**
 * What the server's output says went wrong, in one line: the last exception line (`ModuleNotFoundError: No module named
 * 'yaml'`), else the last lines that are not request logs.
 */
export function bootFailure(lines: string[]): string {
  const meaningful = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('[webui] {'));
  const exception = [...meaningful]
    .reverse()
    .find((l) => /^[\w.]*(Error|Exception|Exit)\b.*:/.test(l) || /^\[!!\]/.test(l));
  const text = exception ?? meaningful.slice(-2).join(' / ');
  return oneLine(text || 'it wrote nothing', 300);
}

export class HermesRealServer {
  private stopped: Promise<void> | null = null;
  private exited = false;

  private constructor(
    readonly appDir: string,
    readonly version: string,
    /** The temporary folder: HOME, HERMES_HOME, the state folder, the workspace, TMPDIR and the agent's copy. */
    readonly folder: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly out: Tail,
    private readonly err: Tail,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  /** http://127.0.0.1:<port> */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether the server process is still running. */
  get running(): boolean {
    return !this.exited;
  }

  /** The last lines the server wrote (stdout then stderr), for a report or a failing test. */
  logTail(n = 40): string[] {
    return [...this.out.lines.slice(-n), ...this.err.lines.slice(-n)];
  }

  /**
   * Starts the checkout's server and resolves once GET /health answers 200. Throws HermesRealError (one sentence)
   * when it cannot be started or served; nothing is left running and the temporary folder is gone.
   */
  static async start(opts: HermesRealOptions): Promise<HermesRealServer> {
    const appDir = hermesAppDir(opts.appDir);
    if (!existsSync(join(appDir, 'server.py')))
      throw new HermesRealError(
        `sse-harness: ${oneLine(opts.appDir)} has no server.py, so its server cannot be run: give a hermes-webui checkout from v0.51.0 or later.`,
      );
    const version = hermesVersion(appDir);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return await HermesRealServer.boot(appDir, version, port, opts);
      } catch (e) {
        if (!(e instanceof PortTaken) || attempt >= PORT_ATTEMPTS)
          throw e instanceof PortTaken ? new HermesRealError(e.message) : e;
      }
    }
  }

  private static async boot(
    appDir: string,
    version: string,
    port: number,
    opts: HermesRealOptions,
  ): Promise<HermesRealServer> {
    const folder = tempDir('hermes-real');
    let child: ChildProcess | undefined;
    try {
      const env = prepareFolder(folder, port, opts.control, opts.agentDir ?? STUB_AGENT_DIR);
      const python = pythonCommand();
      const out = new Tail((l) => opts.onLine?.(l, 'stdout'));
      const err = new Tail((l) => opts.onLine?.(l, 'stderr'));
      child = spawnTracked(python, ['server.py'], { cwd: appDir, env });
      const spawnError = new Promise<Error>((ok) => child!.once('error', ok));
      child.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => err.push(c));
      const server = new HermesRealServer(appDir, version, folder, port, child, out, err);
      const exited = new Promise<void>((ok) => child!.once('exit', () => ok()));
      const timeoutMs = opts.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      const what = `hermes-webui ${oneLine(version)} at ${oneLine(appDir)}`;
      for (;;) {
        const settled = await Promise.race([
          spawnError.then((e) => ({ error: e })),
          exited.then(() => ({ exit: true })),
          new Promise<null>((ok) => setTimeout(() => ok(null), 100)),
        ]);
        if (settled && 'error' in settled) {
          const code = (settled.error as NodeJS.ErrnoException).code;
          throw new HermesRealError(
            code === 'ENOENT'
              ? `sse-harness: ${oneLine(python)} was not found: install Python 3 with PyYAML and cryptography (apt-get install python3 python3-yaml python3-cryptography), or name another Python in SSE_HARNESS_PYTHON.`
              : `sse-harness: ${oneLine(python)} could not be started (${oneLine(code ?? settled.error.message)}).`,
          );
        }
        if (settled && 'exit' in settled) {
          out.flush();
          err.flush();
          const lines = [...out.lines, ...err.lines];
          if (lines.some((l) => /Address already in use|already responding on/.test(l)))
            throw new PortTaken(`sse-harness: ${what}: no free port could be bound on 127.0.0.1.`);
          throw new HermesRealError(
            `sse-harness: ${what} did not boot with the stub agent: ${bootFailure(err.lines.length ? err.lines : out.lines)}`,
          );
        }
        if (await healthy(port)) break;
        if (Date.now() > deadline) {
          throw new HermesRealError(
            `sse-harness: ${what} did not answer GET /health within ${Math.round(timeoutMs / 1000)} s: ${bootFailure([...out.lines, ...err.lines])}`,
          );
        }
      }
      // The server boots without its agent when run_agent cannot be imported, and every turn would then fail.
      const missing = out.lines.findIndex((l) => /missing modules:/.test(l));
      if (missing >= 0) {
        const detail = out.lines.slice(missing + 1).find((l) => /^\s+\w[\w.]*: \w+(Error|Exception)\b/.test(l));
        throw new HermesRealError(
          `sse-harness: ${what} cannot use the stub agent: ${oneLine(`${out.lines[missing]!.replace(/^.*?Warning: /, '')}${detail ? ` (${detail.trim()})` : ''}`, 300)}`,
        );
      }
      return server;
    } catch (e) {
      if (child) await stopTracked(child, STOP_GRACE_MS);
      removeTempDir(folder);
      throw e;
    }
  }

  /** Ends the server's process group and removes the temporary folder. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      try {
        await stopTracked(this.child, STOP_GRACE_MS);
      } finally {
        this.out.flush();
        this.err.flush();
        removeTempDir(this.folder);
      }
    })();
    return this.stopped;
  }
}

class PortTaken extends Error {}

/**
 * Lays out the temporary folder and returns the server's environment. The environment is built, not inherited: a
 * HERMES_* or provider key of the user's shell would change what the server does (a password turns auth on, a key
 * makes it probe a provider's model list over the network).
 */
function prepareFolder(folder: string, port: number, control: string | undefined, agentDir: string): NodeJS.ProcessEnv {
  const home = join(folder, 'home');
  const hermesHome = join(home, '.hermes');
  const state = join(hermesHome, 'webui');
  const agent = join(folder, 'agent');
  for (const d of [home, hermesHome, state, join(folder, 'tmp'), join(folder, 'workspace')])
    mkdirSync(d, { recursive: true });
  // A copy, so that the agent the server imported cannot change under a run (an edit, a checkout of another branch).
  cpSync(agentDir, agent, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  // Update checks would run git against the checkout and reach the network; the setting switches them off. A user
  // past the first-run guide, as the mock's settings say: its overlay would cover the page the scenario drives.
  writeFileSync(
    join(state, 'settings.json'),
    `${JSON.stringify({ check_for_updates: false, onboarding_completed: true, show_cli_sessions: false })}\n`,
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    TMPDIR: join(folder, 'tmp'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    HERMES_HOME: hermesHome,
    HERMES_WEBUI_STATE_DIR: state,
    HERMES_WEBUI_DEFAULT_WORKSPACE: join(folder, 'workspace'),
    HERMES_WEBUI_HOST: '127.0.0.1',
    HERMES_WEBUI_PORT: String(port),
    HERMES_WEBUI_AGENT_DIR: agent,
    // Never pip-install the agent's requirements into the user's Python.
    HERMES_WEBUI_AUTO_INSTALL: '0',
    // Releases that know it refuse every connection off this machine.
    HERMES_WEBUI_TEST_NETWORK_BLOCK: '1',
    // The server asks git which revision its agent is; the copy is in no repository, and must not be taken for one.
    GIT_CEILING_DIRECTORIES: folder,
    // Neither the checkout nor the agent's copy gets __pycache__ folders.
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  };
  if (control) env.SSE_HARNESS_CONTROL = control;
  return env;
}
