// Oracle registry: the keys of a scenario's expect: section, each judging a finished run.
import type { Expect, OracleName } from '../scenario/schema.ts';
import { liveStreamsOracle } from './liveStreams.ts';
import { hiddenPollingOracle, stallBudgetOracle } from './mainThread.ts';
import { reconnectRateOracle } from './reconnectRate.ts';
import { lockRecoveryOracle, noBackgroundReconnectOracle, reattachOracle, transcriptOracle } from './streaming.ts';
import { oneRequestPerTurnOracle, stopEndsStreamOracle } from './turns.ts';
import type { Oracle, RunRecord, Verdict } from './types.ts';

export const ORACLES: { [K in OracleName]: Oracle<NonNullable<Expect[K]>> } = {
  liveStreams: liveStreamsOracle,
  reattach: reattachOracle,
  transcript: transcriptOracle,
  noBackgroundReconnect: noBackgroundReconnectOracle,
  hiddenPolling: hiddenPollingOracle,
  stallBudget: stallBudgetOracle,
  lockRecovery: lockRecoveryOracle,
  reconnectRate: reconnectRateOracle,
  oneRequestPerTurn: oneRequestPerTurnOracle,
  stopEndsStream: stopEndsStreamOracle,
};

export function judge(run: RunRecord, expect: Expect): Verdict[] {
  return (Object.keys(expect) as OracleName[]).map((name) =>
    (ORACLES[name] as Oracle<unknown>)(run, expect[name] ?? {}),
  );
}
