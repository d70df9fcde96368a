#!/usr/bin/env node
// The `vblora` command's bin target. It is committed (not built) so that npm links the command at install time,
// before `npm run build` has written dist/; it runs dist/bin.js, or says how to build it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write('vblora: @vblora/cli is not built (dist/bin.js is missing): run npm run build first\n');
  process.exitCode = 2;
}
