// Runs the conformance cases against the real server of a checkout and against the mock playing the model the
// harness picks for that checkout, side by side, and says where their answers differ.
import { MockBackend } from '../mock/backend.ts';
import type { ResumeBehaviour } from '../mock/server-model.ts';
import type { ChatBackend } from '../mock/chat-backend.ts';
import { RealBackend } from '../mock/real-backend.ts';
import type { Target } from '../targets/types.ts';
import { Timeline } from '../timeline.ts';
import { CASES, type Case } from './cases.ts';

export interface ConformanceRow {
  case: string;
  asks: string;
  mock: string;
  real: string;
  agree: boolean;
}

export interface ConformanceResult {
  target: string;
  version: string;
  /** What the mock played for this checkout, and why. */
  model: string;
  server: string;
  rows: ConformanceRow[];
}

async function answers(
  backend: ChatBackend,
  cases: Case[],
  startBody: Record<string, unknown>,
  progress: (line: string) => void,
  side: string,
): Promise<string[]> {
  // One case at a time: hermes-webui's server plays one agent turn at a time (others wait for it), and a case's
  // answer must not depend on what another case's run is doing.
  const out: string[] = [];
  for (const [i, c] of cases.entries()) {
    progress(`${side}: ${c.name} (${i + 1}/${cases.length})`);
    out.push(await c.run({ backend, startBody }).catch((e: Error) => `error: ${e.message}`));
  }
  return out;
}

export interface ConformanceOptions {
  /** Only the cases with these names. */
  cases?: string[];
  progress?: (line: string) => void;
  /** Play this resume behaviour in the mock instead of the one the checkout's code says. */
  mockResume?: ResumeBehaviour;
}

export async function runConformance(target: Target, opts: ConformanceOptions = {}): Promise<ConformanceResult> {
  if (!target.realBackend)
    throw new Error(
      `sse-harness: conformance needs a target whose server the harness can start (hermes-webui); ${target.name} has none.`,
    );
  const cases = opts.cases?.length ? CASES.filter((c) => opts.cases!.includes(c.name)) : CASES;
  const progress = opts.progress ?? (() => {});
  const timeline = new Timeline(Date.now());
  const real = target.realBackend();
  const mockOpts = target.backend();
  const mock = new MockBackend(
    opts.mockResume ? { ...mockOpts, server: { ...mockOpts.server, resume: opts.mockResume } } : mockOpts,
    timeline,
  );
  const front = new RealBackend(real, timeline);
  try {
    await Promise.all([mock.start(), front.start()]);
    // The two sides run at once: the cases wait on scripted pauses, not on the CPU.
    const [m, r] = await Promise.all([
      answers(mock, cases, real.startBody ?? {}, progress, 'mock'),
      answers(front, cases, real.startBody ?? {}, progress, 'real'),
    ]);
    return {
      target: target.name,
      version: target.version,
      model: opts.mockResume
        ? `resume ${opts.mockResume} (--mock-resume)`
        : target.backendModel
          ? `resume ${target.backendModel.resume} (${target.backendModel.why})`
          : 'the default model',
      server: front.describe,
      rows: cases.map((c, i) => ({ case: c.name, asks: c.asks, mock: m[i]!, real: r[i]!, agree: m[i] === r[i] })),
    };
  } finally {
    await Promise.all([mock.stop(), front.stop()]);
  }
}
