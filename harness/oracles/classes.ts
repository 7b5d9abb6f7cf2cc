// The oracle that must flag each regression class: the detection matrix counts a catch only when this one fails.
import type { RegressionClass } from '../scenario/classes.ts';
import type { OracleName } from '../scenario/schema.ts';

export const CLASS_ORACLE: Record<RegressionClass, OracleName> = {
  'leak-on-switch': 'liveStreams',
  'no-reattach': 'reattach',
  'background-reconnect': 'noBackgroundReconnect',
  'accumulator-reset': 'transcript',
  'hidden-polling': 'hiddenPolling',
  'lock-drop': 'lockRecovery',
  'flood-stall': 'stallBudget',
  'reconnect-storm': 'reconnectRate',
  'resend-on-return': 'oneRequestPerTurn',
  'stop-leaves-stream': 'stopEndsStream',
};
