#!/usr/bin/env node
// First step of every package's build: removes dist/, so output of a renamed or deleted source never lingers there
// (tsc only adds and overwrites) and is never cached by turbo or packed. Runs in the package's folder.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
