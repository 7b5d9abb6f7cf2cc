// The regression classes: the kinds of bug a scenario is built to catch (its `catches:`) and the reference UI can
// switch on. Which oracle must flag each one is the oracles' business (oracles/classes.ts).
export const REGRESSION_CLASSES = [
  'leak-on-switch',
  'no-reattach',
  'background-reconnect',
  'accumulator-reset',
  'hidden-polling',
  'lock-drop',
  'flood-stall',
  'reconnect-storm',
  'resend-on-return',
  'stop-leaves-stream',
] as const;
export type RegressionClass = (typeof REGRESSION_CLASSES)[number];
