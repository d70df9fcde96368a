import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRng,
  f32ToBf16Bits,
  f32ToF16Bits,
  merge,
  tensor,
  unmerge,
  type HostTensor,
  type WeightDType,
} from '@vblora/core';
import type * as NodeEntry from '../src/node.js';

// The merge pool's worker threads load the compiled packages (worker threads cannot run TypeScript), so this
// test compiles @vblora/core and @vblora/cpu into a temporary folder inside this package (so that core's own
// dependencies resolve from the repository's node_modules) and merges there on 2 worker threads, sharing one
// WebAssembly memory: the path `vblora merge --base` takes on a user's machine. Results must equal the reference
// bit for bit.

const cpuDir = fileURLToPath(new URL('../', import.meta.url));
const coreDir = fileURLToPath(new URL('../../core/', import.meta.url));
let outDir: string;
let built: typeof NodeEntry;

function compile(projectDir: string, into: string): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // --noCheck: this only needs the JavaScript (typecheck checks the sources), and core's types may be unbuilt
  const flags = ['--noCheck', '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'];
  const project = join(projectDir, 'tsconfig.build.json');
  execFileSync(process.execPath, [tsc, '-p', project, '--outDir', into, ...flags], { stdio: 'pipe' });
}

beforeAll(() => {
  outDir = mkdtempSync(join(cpuDir, '.tmp-workers-'));
  // core as an installed package would be: its package.json exports pointing at the compiled files
  const core = join(outDir, 'node_modules', '@vblora', 'core');
  mkdirSync(core, { recursive: true });
  const exportsMap = { '.': './dist/index.js', './node': './dist/node.js' };
  writeFileSync(
    join(core, 'package.json'),
    JSON.stringify({ name: '@vblora/core', type: 'module', exports: exportsMap }),
  );
  compile(coreDir, join(core, 'dist'));
  compile(cpuDir, join(outDir, 'cpu'));
  writeFileSync(join(outDir, 'cpu', 'package.json'), JSON.stringify({ type: 'module' }));
  return import(pathToFileURL(join(outDir, 'cpu', 'node.js')).href).then((m: typeof NodeEntry) => void (built = m));
}, 180_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function bitsOf(t: HostTensor): number[] {
  return Array.from(
    t.data instanceof Float32Array
      ? new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)
      : (t.data as Uint16Array),
  );
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
            const data =
              dtype === 'f32' ? f : Uint16Array.from(f, (v) => (dtype === 'bf16' ? f32ToBf16Bits(v) : f32ToF16Bits(v)));
            const w = tensor(dtype as WeightDType, shape, data as never) as HostTensor<WeightDType>;
            const A = tensor(
              'f32',
              [r, inF],
              Float32Array.from({ length: r * inF }, () => rng.normal() * 0.1),
            );
            const B = tensor(
              'f32',
              [outF, r],
              Float32Array.from({ length: outF * r }, () => rng.normal() * 0.1),
            );
            const [region] = pool.regions(w.data.byteLength) as [Uint8Array];
            region.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
            await pool.run({
              dtype,
              shape,
              input: region,
              output: region,
              A: A.data,
              B: B.data,
              fanInFanOut,
              sign,
              safe: false,
              adapter: 'a',
              module: 'm',
            });
            const want = (sign === 1 ? merge : unmerge)({ weight: w, A, B, fanInFanOut });
            const got =
              dtype === 'f32'
                ? new Uint32Array(region.buffer, region.byteOffset, f.length)
                : new Uint16Array(region.buffer, region.byteOffset, f.length);
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
      const job = (out: Uint8Array, b: number) => ({
        dtype: 'f32' as const,
        shape: [8, 8] as [number, number],
        input: out,
        output: out,
        A,
        B: new Float32Array(8).fill(b),
        fanInFanOut: false,
        safe: false,
        adapter: 'a',
        module: 'm',
      });
      await Promise.all([pool.run(job(r0, 2)), pool.run(job(r1, 3))]);
      expect(Array.from(new Float32Array(r0.buffer, r0.byteOffset, 64))).toEqual(new Array(64).fill(3));
      expect(Array.from(new Float32Array(r1.buffer, r1.byteOffset, 64))).toEqual(new Array(64).fill(4));
    } finally {
      await pool.close();
    }
  });
});
