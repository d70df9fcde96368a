import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeAdapter, createCpuBackend, createRng, f32ToBf16Bits, f32ToF16Bits, merge, tensor, unmerge, type HostTensor, type WeightDType } from '../../src/index.js';
import type * as MainEntry from '../../src/index.js';
import type * as NodeEntry from '../../src/node.js';
import { smallAdapter } from '../helpers/small-adapter.js';

// The merge and compose pools' worker threads load the compiled package (worker threads cannot run TypeScript),
// so this test compiles @vblora/core into a temporary folder and runs both pools there on 2 worker threads, each
// sharing one WebAssembly memory: the paths `vblora merge --base` and `createComposePool` take on a user's
// machine. Results must equal the reference (merge) and the cpu backend (compose) bit for bit.

const coreDir = fileURLToPath(new URL('../../', import.meta.url));
let outDir: string;
let built: typeof NodeEntry;
let builtMain: typeof MainEntry;

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'vblora-core-build-'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(coreDir, 'tsconfig.build.json'), '--outDir', outDir, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'], { stdio: 'pipe' });
  return Promise.all([import(pathToFileURL(join(outDir, 'node.js')).href), import(pathToFileURL(join(outDir, 'index.js')).href)]).then(([n, m]) => {
    built = n as typeof NodeEntry;
    builtMain = m as typeof MainEntry;
  });
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function bitsOf(t: HostTensor): number[] {
  return Array.from(t.data instanceof Float32Array ? new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length) : (t.data as Uint16Array));
}

describe('createMergePool on worker threads (compiled package)', () => {
  it('uses 2 threads and merges/unmerges f32, bf16 and f16, both layouts, bit-identical to the reference', async () => {
    const pool = built.createMergePool(2);
    try {
      expect(pool.threads).toBe(2);
      const rng = createRng(77);
      for (const dtype of ['f32', 'bf16', 'f16'] as const) {
        for (const sign of [1, -1] as const) {
          for (const fanInFanOut of [false, true]) {
            const [outF, inF, r] = [37, 52, 4];
            const shape: [number, number] = fanInFanOut ? [inF, outF] : [outF, inF];
            const f = Float32Array.from({ length: outF * inF }, (_, i) => (i % 29 === 0 ? -0 : rng.normal() * 0.02));
            const data = dtype === 'f32' ? f : Uint16Array.from(f, (v) => (dtype === 'bf16' ? f32ToBf16Bits(v) : f32ToF16Bits(v)));
            const w = tensor(dtype as WeightDType, shape, data as never) as HostTensor<WeightDType>;
            const A = tensor('f32', [r, inF], Float32Array.from({ length: r * inF }, () => rng.normal() * 0.1));
            const B = tensor('f32', [outF, r], Float32Array.from({ length: outF * r }, () => rng.normal() * 0.1));
            const [region] = pool.regions(w.data.byteLength) as [Uint8Array];
            region.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
            await pool.run({ dtype, shape, input: region, output: region, A: A.data, B: B.data, fanInFanOut, sign, safe: false, adapter: 'a', module: 'm' });
            const want = (sign === 1 ? merge : unmerge)({ weight: w, A, B, fanInFanOut });
            const got = dtype === 'f32' ? new Uint32Array(region.buffer, region.byteOffset, f.length) : new Uint16Array(region.buffer, region.byteOffset, f.length);
            expect(Array.from(got), `${dtype} sign ${sign} fanInFanOut ${fanInFanOut}`).toEqual(bitsOf(want));
          }
        }
      }
    } finally {
      await pool.close();
    }
  });

  it('runs overlapping calls one after another on the workers, each with its own factors', async () => {
    const pool = built.createMergePool(2);
    try {
      const [r0, r1] = pool.regions(4 * 64, 2) as [Uint8Array, Uint8Array];
      new Float32Array(r0.buffer, r0.byteOffset, 64).fill(1);
      new Float32Array(r1.buffer, r1.byteOffset, 64).fill(1);
      const A = new Float32Array(8).fill(1);
      const job = (out: Uint8Array, b: number) => ({ dtype: 'f32' as const, shape: [8, 8] as [number, number], input: out, output: out, A, B: new Float32Array(8).fill(b), fanInFanOut: false, safe: false, adapter: 'a', module: 'm' });
      await Promise.all([pool.run(job(r0, 2)), pool.run(job(r1, 3))]);
      expect(Array.from(new Float32Array(r0.buffer, r0.byteOffset, 64))).toEqual(new Array(64).fill(3));
      expect(Array.from(new Float32Array(r1.buffer, r1.byteOffset, 64))).toEqual(new Array(64).fill(4));
    } finally {
      await pool.close();
    }
  });
});

describe('createComposePool on worker threads (compiled package)', () => {
  const bits32 = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

  it('uses 2 threads and gives the cpu backend bits (top-k and full logits, r 3 and 4), reusing into', async () => {
    const pool = built.createComposePool(2);
    try {
      expect(pool.threads).toBe(2);
      for (const r of [3, 4]) {
        for (const flavour of ['topk', 'full'] as const) {
          const tiles: [number, number][] = [[2, 3], [3, 1], [1, 2], [4, 4], [2, 1]];
          const into = builtMain.allocatePairs(smallAdapter(1, flavour, tiles, r), { shared: true });
          for (const seed of [5, 6]) {
            const adapter = smallAdapter(seed * 10 + r, flavour, tiles, r);
            let progress = 0;
            const got = await pool.compose(adapter, { into, onProgress: () => void progress++ });
            expect(progress).toBe(tiles.length);
            const want = await composeAdapter(adapter, { backend: createCpuBackend() });
            for (const [path, pair] of want) {
              expect(got.get(path)!.A.data).toBe(into.get(path)!.A.data);
              expect(bits32(got.get(path)!.A.data), `${flavour} r ${r} ${path}.A`).toEqual(bits32(pair.A.data));
              expect(bits32(got.get(path)!.B.data), `${flavour} r ${r} ${path}.B`).toEqual(bits32(pair.B.data));
            }
          }
        }
      }
    } finally {
      await pool.close();
    }
  });

  it('rebuilds a worker\'s typed error, stays usable, and queues overlapping calls', async () => {
    const pool = built.createComposePool(2);
    try {
      const adapter = smallAdapter(3, 'topk', [[2, 3], [3, 1], [1, 2], [2, 2]]);
      const m = adapter.modules.get('layers.3.proj')!;
      if (m.b.kind !== 'topk') throw new Error('fixture');
      const broken = new Map(adapter.modules);
      broken.set(m.path, { ...m, b: { ...m.b, weights: tensor('f32', m.b.weights.shape, Float32Array.from(m.b.weights.data as Float32Array, (v, i) => (i === 2 ? -0.5 : v))) } });
      const err = await pool.compose({ ...adapter, modules: broken }).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(builtMain.NumericalError);
      expect(err?.message).toMatch(/stored top-k weight \[2\] = -0\.5 is outside \[0, 1\]/);
      const other = smallAdapter(4, 'topk', [[2, 3], [3, 1], [1, 2], [2, 2]]);
      const [x, y] = await Promise.all([pool.compose(adapter), pool.compose(other)]);
      for (const [a, got] of [[adapter, x], [other, y]] as const) {
        const want = await composeAdapter(a, { backend: createCpuBackend() });
        for (const [path, pair] of want) expect(bits32(got.get(path)!.B.data)).toEqual(bits32(pair.B.data));
      }
    } finally {
      await pool.close();
    }
  });
});
