// A bounded CPU hog for tests that judge verdicts on a loaded machine: one child process spinning one core, which
// stops by itself at its deadline even if the test that started it dies, and at once when stopped.
import { spawn } from 'node:child_process';

export interface CpuHog {
  /** Ends the hog now; resolves once its process is gone. */
  stop(): Promise<void>;
  /** Resolves with the hog's own measure of the CPU it took (ms spent spinning), once it has ended. */
  readonly spun: Promise<number>;
}

export function cpuHog(maxMs: number): CpuHog {
  // The child spins in slices and checks its deadline between them, so it ends by itself even if the parent is killed.
  const src = `const end = Date.now() + ${Math.floor(maxMs)}; let spun = 0;
    const slice = () => { const s = Date.now(); while (Date.now() - s < 50) {} spun += Date.now() - s; if (Date.now() < end) setImmediate(slice); else process.stdout.write(String(spun)); };
    process.on('SIGTERM', () => { process.stdout.write(String(spun)); process.exit(0); });
    slice();`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
  return {
    spun: exited.then(() => Number(out) || 0),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
