import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('cpu-wasm.generated.ts', () => {
  it('is what packages/cpu/scripts/build-wasm.mjs assembles from wat/*.wat today (never edited by hand, never stale)', () => {
    const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
    const res = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
  });
});
