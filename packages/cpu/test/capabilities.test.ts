import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocatePairs, defineBackend, referenceBackend, type MergePool, type ParallelMerge } from '@vblora/core';
import { mergeCheckpoint, readAdapterDir } from '@vblora/core/node';
import { createCpuBackend as createWebCpuBackend } from '../src/index.js';
import { createCpuBackend } from '../src/index-node.js';
import { cpuParallelMerge } from '../src/node.js';
import { goldenPath } from '../../core/test/helpers/golden-paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-cpu-caps-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the cpu backend asks for nothing by name: it offers capabilities', () => {
  it('pairs storage and the topkReload kernel everywhere, the parallel merge only from the Node entry', () => {
    const node = createCpuBackend();
    const web = createWebCpuBackend();
    for (const b of [node, web]) {
      expect(b.capabilities?.pairsStorage).toBeDefined();
      expect(b.kernels.topkReload).toBeTypeOf('function');
      expect(b.capabilities).not.toHaveProperty('topkReload'); // a kernel now, not a capability
    }
    expect(node.capabilities?.parallelMerge?.maxRegionBytes).toBe(cpuParallelMerge.maxRegionBytes);
    expect(web.capabilities?.parallelMerge).toBeUndefined();
  });

  it('allocatePairs with the cpu backend: a WebAssembly memory (whole 64 KiB pages) with scratch after the pairs', async () => {
    const { adapter } = await readAdapterDir(goldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk'));
    const plain = allocatePairs(adapter);
    const bytes = [...plain.values()].reduce((n, p) => n + p.A.data.byteLength + p.B.data.byteLength, 0);
    const pairs = allocatePairs(adapter, { backend: createCpuBackend() });
    const buffer = [...pairs.values()][0]!.A.data.buffer;
    expect(buffer.byteLength % 65536).toBe(0);
    expect(buffer.byteLength).toBeGreaterThan(bytes);
    expect([...plain.values()][0]!.A.data.buffer.byteLength).toBe(bytes);
  });
});

describe('mergeCheckpoint with the parallel merge (tolerance: byte-identical to the plain reference merge)', () => {
  it('opens one pool, runs every adapted weight on it, and writes the bytes the reference kernel writes', async () => {
    const c = 'llama_bf16_vl16_nv256_top2_layer1_bias';
    const { adapter } = await readAdapterDir(goldenPath(c, 'adapter_full'));
    const base = goldenPath(c, 'base.safetensors');
    const plainOut = join(tmp, 'plain.safetensors');
    const plain = await mergeCheckpoint(adapter, base, plainOut, { threads: 2 });
    expect(plain.threads).toBe(1); // the reference offers no parallel merge: its kernel, threads ignored
    let opened = 0;
    let runs = 0;
    const spy: ParallelMerge = {
      maxRegionBytes: cpuParallelMerge.maxRegionBytes,
      open: (threads) => {
        opened++;
        const pool = cpuParallelMerge.open(threads);
        const counted: MergePool = {
          threads: pool.threads,
          maxRegionBytes: pool.maxRegionBytes,
          regions: (bytes, count) => pool.regions(bytes, count),
          run: (job) => (runs++, pool.run(job)),
          close: () => pool.close(),
        };
        return counted;
      },
    };
    const pooled = defineBackend({ ...referenceBackend, capabilities: { parallelMerge: spy } });
    const want = readFileSync(plainOut);
    const pooledOut = join(tmp, 'pooled.safetensors');
    await mergeCheckpoint(adapter, base, pooledOut, { backend: pooled, threads: 1 });
    expect(opened).toBe(1);
    expect(runs).toBe(adapter.modules.size);
    expect(readFileSync(pooledOut).equals(want)).toBe(true);
    const cpuOut = join(tmp, 'cpu.safetensors');
    await mergeCheckpoint(adapter, base, cpuOut, { backend: createCpuBackend(), threads: 1 });
    expect(readFileSync(cpuOut).equals(want)).toBe(true);
  });
});
