// One line for a run whose oracles all passed: which held, and which had nothing they could fairly judge.
import type { Verdict } from '../oracles/types.ts';

export function holdLine(verdicts: Verdict[]): string {
  const held = verdicts.filter((v) => !v.notJudged).map((v) => v.oracle);
  const notJudged = verdicts.filter((v) => v.notJudged).map((v) => `${v.oracle} (${v.notJudged})`);
  return [held.length ? `${held.join(', ')} hold` : '', notJudged.length ? `not judged: ${notJudged.join('; ')}` : '']
    .filter(Boolean)
    .join(' · ');
}
