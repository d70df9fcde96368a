import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, NAMED_BACKENDS } from '@vblora/cli/backends';
import { BENCH_BACKENDS, loadBackends } from '@vblora/bench';

// The bench starts backends from the vblora command's table: a name means one backend in both.
describe('bench backend names', () => {
  it('are the vblora command’s names', () => {
    expect(Object.keys(BENCH_BACKENDS)).toEqual(Object.keys(NAMED_BACKENDS));
    for (const name of BACKEND_NAMES) expect(Object.keys(BENCH_BACKENDS)).toContain(name);
  });

  it('start the backend the command starts under the same name', async () => {
    const names = ['reference', 'cpu', 'tfjs-cpu', 'tfjs-wasm'] as const;
    const skipped: string[] = [];
    const started = await loadBackends(names, (n, why) => skipped.push(`${n}: ${why}`));
    expect(skipped).toEqual([]);
    const fromCli = await Promise.all(names.map((n) => NAMED_BACKENDS[n].load()));
    expect(started.map((b) => b.name)).toEqual(fromCli.map((b) => b.name));
    // `cpu` is the WebAssembly backend in both, never tf.js's cpu
    expect(started[1]!.name).not.toMatch(/tfjs/);
    expect(started[2]!.name).toBe('tfjs-cpu');
  });

  it('reject an unknown name, listing the known ones', async () => {
    await expect(loadBackends(['tfjs'], () => undefined)).rejects.toThrow(
      'unknown backend "tfjs"; known: reference, cpu, tfjs-wasm, tfjs-cpu, onnx, webgpu',
    );
  });
});
