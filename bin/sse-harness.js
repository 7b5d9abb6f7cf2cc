#!/usr/bin/env node
// npm bin entry: loads the TypeScript CLI in-process through tsx, so signals reach its cleanup directly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli.ts');
process.exit(await main());
