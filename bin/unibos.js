#!/usr/bin/env node
// The `unibos` binary: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/unibos.ts');
process.exitCode = await main(process.argv.slice(2));
