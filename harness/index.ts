// The package root, `sse-harness`: what a user's own target module imports. A target file is checked by tsc against
// these types as it is written, and by the harness at run time when it is loaded (--target ./my-target.ts).
//
//   import { defineTarget } from 'sse-harness';
//   export default defineTarget({ name: 'my-chat', version: '1', regressions: [], … });
import type { Target, TargetFactory } from './targets/types.ts';

/**
 * Types a target as it is written: its fields and actions are checked by tsc, and its actions' `page` parameter is
 * typed. Returns its argument unchanged. Give it the target itself, or a factory that makes one from the command's
 * options (`--app-dir`) when the target reads the UI's checkout.
 */
export function defineTarget(target: Target): Target;
export function defineTarget(factory: TargetFactory): TargetFactory;
export function defineTarget(t: Target | TargetFactory): Target | TargetFactory {
  return t;
}

/** A target: where the UI's files are, how to open it, how a user acts in its DOM, and how to read it. */
export type { Target, OpenOptions, TargetOptions, TargetFactory } from './targets/types.ts';
/** The page a target's actions get: click, type, press and evaluate, the same in every browser the harness drives. */
export type { BrowserPage, BrowserName, LifecycleMode } from './driver/types.ts';
/** What a target's backend() returns: the UI's static files and any routes of its own the mock should answer. */
export type { BackendOptions } from './mock/backend.ts';
/** What realBackend() returns, for a target whose own server the harness can start (--backend real). */
export type { RealBackendOptions } from './mock/real-backend.ts';
/** The protocol a target's UI speaks to its server (backend() → profile), each in docs/protocol.md#protocol-profiles. */
export type { ProtocolProfile } from './mock/profile.ts';
export { aiSdkProfile } from './mock/profiles/ai-sdk.ts';
export { openaiProfile } from './mock/profiles/openai.ts';
export { websocketProfile } from './mock/profiles/websocket.ts';
/** Which resume rules the mock plays for the target's UI (backendModel), as docs/protocol.md describes them. */
export type { ResumeBehaviour } from './mock/server-model.ts';

/** Types sse-harness.config.ts as it is written (`export default defineConfig({ … })`); the CLI checks it again. */
export { defineConfig, type ConfigProject, type SseHarnessConfig } from './config.ts';
