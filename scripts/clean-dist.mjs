#!/usr/bin/env node
// First step of every package's build: removes dist/, so output of a renamed or deleted source never lingers there
// (tsc only adds and overwrites) and is never cached by turbo or packed. Runs in the package's folder.
import { existsSync, rmSync } from 'node:fs';

// only in a package folder (its build config beside dist/): never a dist/ this build does not own
if (!existsSync('package.json') || !existsSync('tsconfig.build.json')) {
  process.stderr.write(`clean-dist: ${process.cwd()} is not a package folder; nothing removed\n`);
  process.exit(1);
}
rmSync('dist', { recursive: true, force: true });
