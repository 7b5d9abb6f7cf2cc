// A target describes a chat UI: where its files are, how to open it, and how a user performs each action in its DOM.
import type { BackendOptions } from '../mock/backend.ts';
import type { RealBackendOptions } from '../mock/real-backend.ts';
import type { ResumeBehaviour } from '../mock/server-model.ts';
import type { BrowserPage } from '../driver/types.ts';

export interface OpenOptions {
  /** Regression classes to switch on (reference UI only). */
  regress: string[];
  /** UI timing options from the scenario (poll interval, reconnect delay). */
  ui: { poll?: number; reconnectMs?: number };
  /** Extra query parameters from the open step. */
  query?: Record<string, string>;
}

export interface Target {
  readonly name: string;
  /** Version of the UI that was driven, for the report. */
  readonly version: string;
  /** Regression classes this target can switch on by itself (empty for real UIs). */
  readonly regressions: readonly string[];
  /** Streaming transports the UI can be asked for (TargetOptions.transport), its default first (targets/transport.ts). */
  readonly transports?: readonly string[];
  /** The transport this target was made for, when one was asked for; reports name it. */
  readonly transport?: string;
  backend(): Omit<BackendOptions, 'port'>;
  /** The UI's own server with a stub agent, for --backend real (targets whose server the harness can start). */
  realBackend?(): Omit<RealBackendOptions, 'port' | 'probe'>;
  /** The server behaviour backend() asks the mock to play (BackendOptions.server), and what decided it, for reports. */
  readonly backendModel?: { resume: ResumeBehaviour; why: string };
  /** Path and query to open, relative to the backend origin. */
  entry(opts: OpenOptions): string;
  /** JS expression, true once the UI is ready for input. */
  readonly readyExpression: string;
  /** API paths the backend must also have answered (2xx) since the page was opened before the UI counts as ready. */
  readonly readyRequests?: readonly string[];
  /** Which readiness signal the target uses, when it picks one per version of the UI; the report names it. */
  readonly readySignal?: string;
  /** JS expression: the session id the UI shows, or null. */
  readonly viewedSessionExpression: string;
  /** JS expression: the answer text shown for the viewed session's latest assistant message, or null. */
  readonly answerTextExpression: string;
  newChat(page: BrowserPage): Promise<void>;
  send(page: BrowserPage, text: string): Promise<void>;
  switchTo(page: BrowserPage, sessionId: string): Promise<void>;
  /** Presses the UI's stop button for the viewed session's answer; absent when the UI has none. */
  stop?(page: BrowserPage): Promise<void>;
}

/** What a target is made with: the options a command gives it (--app-dir). */
export interface TargetOptions {
  /** Checkout of the UI to drive (targets that read a user's repository, e.g. hermes-webui), an absolute path. */
  appDir?: string;
  /** The streaming transport the UI must use (--transport); a target that cannot honour it is rejected. */
  transport?: string;
  /** The published @ai-sdk/react version the ai-sdk target installs and bundles its app with (--sdk-version). */
  sdkVersion?: string;
}

/** Makes a target for the options of a command: a target that reads a checkout is a factory (synchronous). */
export type TargetFactory = (opts: TargetOptions) => Target;
