#!/usr/bin/env node
// `npm test`: every package's tests in one vitest run; the summary reporter prints the closing
// `N passed, N failed, N skipped` line that CI reads.
import { spawnSync } from 'node:child_process';

const args = ['vitest', 'run', ...process.argv.slice(2)];
const res = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } });
process.exit(res.status ?? 1);
