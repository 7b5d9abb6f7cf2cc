// How a run's steps end other than by succeeding, and the one way the runner waits.

/** A step did not do what it should (a deadline passed, the UI threw): a finding of the run, not a harness error. */
export class StepFailure extends Error {}
/** The UI never became ready at the first open: no scenario can run on it, so the suite stops instead of timing out per run. */
export class BootFailure extends Error {}
/** The run was stopped at a definite failure: not an error, the remaining steps are skipped. */
export class RunStopped extends Error {}

export type Check<T> = () => Promise<T | null | undefined | false> | T | null | undefined | false;

/** Waits on a condition with a deadline; never a bare sleep. A stopped run stops waiting. */
export async function untilDeadline<T>(
  what: string,
  timeoutMs: number,
  check: Check<T>,
  stop?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (stop?.aborted) throw new RunStopped();
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new StepFailure(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
