// zod and msw, loaded with require(). The harness runs its TypeScript through tsx, and on Node 20 every ES module
// import then passes through tsx's loader hooks on another thread: for these two packages' many files that cost
// 0.2-0.25 s of every command's start (zod 185 ms instead of 70, msw 285 ms instead of 185). require() loads their
// CommonJS builds on the main thread. Every module of the harness takes them from here, so there is one copy of each.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Typed by name, so the package's emitted declarations say `import('zod')` rather than a path into node_modules.
export const z: typeof import('zod').z = (require('zod') as typeof import('zod')).z;
let mswModule: typeof import('msw') | undefined;
/** msw, loaded when the first mock backend is built: commands that start none (and a browser starting meanwhile) need not wait for it. */
export const msw = (): typeof import('msw') => (mswModule ??= require('msw') as typeof import('msw'));
