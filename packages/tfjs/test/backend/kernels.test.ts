/**
 * Every tfjs kernel against core's reference kernel on seeded random inputs, on the tf.js `cpu` and `wasm`
 * backends, each within the accuracy its contract declares for float32 compute (KERNEL_CONTRACTS), with no tf
 * tensor left behind. Special values (ties, −inf, NaN) are included where the contract defines them.
 */
import { describe, expect, it } from 'vitest';
import {
  KERNEL_CONTRACTS,
  referenceBackend,
  ShapeError,
  NumericalError,
  tensor,
  type HostTensor,
  type KernelName,
  type KernelSet,
  type Tolerance,
} from '@vblora/core';
import { createTfjsBackend } from '@vblora/tfjs';
import { EXACT, expectClose } from '../helpers/assert.js';
import { randomTensors } from '../helpers/random.js';
import { expectNoLeak, TF_BACKENDS } from '../helpers/tf-setup.js';

const ref = referenceBackend.kernels as KernelSet;

/** The float32 accuracy a contract declares for one output. */
function tol(kernel: KernelName, output: string): Tolerance {
  const a = KERNEL_CONTRACTS[kernel].accuracy.f32[output];
  if (a === undefined) throw new Error(`no accuracy for ${kernel}.${output}`);
  return a === 'exact' ? EXACT : a;
}

describe.each(TF_BACKENDS)('tfjs-%s kernels vs reference', (tfBackend) => {
  const backend = createTfjsBackend({ tfBackend });
  const k = backend.kernels as KernelSet;
  const run = <T>(fn: () => Promise<T>): Promise<T> => expectNoLeak(fn);

  it('is available and initialises', async () => {
    expect(await backend.isAvailable()).toBe(true);
    await backend.init?.();
  });

  it('topkAdmixture: random rows plus ties, −inf and NaN rows', async () => {
    const r = randomTensors(11);
    const nv = 24;
    const logits = r.normal([3, 5, nv], 3);
    logits.data.fill(0.5, 0, nv); // a complete tie
    logits.data.fill(-Infinity, nv, 2 * nv - 2); // mostly −inf
    logits.data[2 * nv + 3] = NaN; // NaN ranks first
    const bank = r.uniform([nv, 8]);
    for (const kk of [1, 3, nv]) {
      const args = { logits, bank, k: kk };
      const got = await run(() => Promise.resolve(k.topkAdmixture(args)));
      const want = await ref.topkAdmixture(args);
      expectClose(got.indices, want.indices, EXACT, `indices k=${kk}`);
      expectClose(got.weights, want.weights, tol('topkAdmixture', 'weights'), `weights k=${kk}`);
      expectClose(got.vectors, want.vectors, tol('topkAdmixture', 'vectors'), `vectors k=${kk}`);
    }
  });

  it('admixFromTopk, composeLowRank (both forms), deltaWeight', async () => {
    const r = randomTensors(12);
    const [nv, vl, rank, kk] = [40, 4, 3, 2];
    const bank = r.uniform([nv, vl], -0.1, 0.1);
    const logitsA = r.normal([rank, 5, nv], 2);
    const logitsB = r.normal([6, rank, nv], 2);
    const mixed = await ref.topkAdmixture({ logits: logitsA, bank, k: kk });
    const fromTopk = { indices: mixed.indices, weights: mixed.weights, bank };
    expectClose(
      await run(async () => k.admixFromTopk(fromTopk)),
      await ref.admixFromTopk(fromTopk),
      tol('admixFromTopk', 'vectors'),
      'vectors',
    );
    const dense = { logitsA, logitsB, bank, k: kk };
    const got = await run(async () => k.composeLowRank(dense));
    const want = await ref.composeLowRank(dense);
    expectClose(got.A, want.A, tol('composeLowRank', 'A'), 'A');
    expectClose(got.B, want.B, tol('composeLowRank', 'B'), 'B');
    const mixedB = await ref.topkAdmixture({ logits: logitsB, bank, k: kk });
    const topkForm = {
      logitsA: { indices: mixed.indices, weights: mixed.weights },
      logitsB: { indices: mixedB.indices, weights: mixedB.weights },
      bank,
      k: kk,
    };
    const gotT = await run(async () => k.composeLowRank(topkForm));
    expectClose(gotT.A, want.A, tol('composeLowRank', 'A'), 'A from top-k');
    expectClose(gotT.B, want.B, tol('composeLowRank', 'B'), 'B from top-k');
    for (const fanInFanOut of [false, true]) {
      const args = { A: want.A, B: want.B, fanInFanOut };
      expectClose(
        await run(async () => k.deltaWeight(args)),
        await ref.deltaWeight(args),
        tol('deltaWeight', 'delta'),
        `delta fif=${fanInFanOut}`,
      );
    }
  });

  it('merge and unmerge: f32, bf16, f16 weights, both layouts; safe mode', async () => {
    const r = randomTensors(13);
    const A = r.uniform([4, 32], -0.5, 0.5);
    const B = r.uniform([16, 4], -0.5, 0.5);
    for (const fanInFanOut of [false, true]) {
      const shape = fanInFanOut ? [32, 16] : [16, 32];
      const weights: HostTensor<'f32' | 'bf16' | 'f16'>[] = [
        r.uniform(shape),
        r.half('bf16', shape),
        r.half('f16', shape),
      ];
      for (const weight of weights) {
        for (const name of ['merge', 'unmerge'] as const) {
          const args = { weight, A, B, fanInFanOut };
          const got = await run(async () => k[name](args));
          expect(got.dtype).toBe(weight.dtype);
          expectClose(
            got,
            await ref[name](args),
            tol(name, `weight:${weight.dtype}`),
            `${name} ${weight.dtype} fif=${fanInFanOut}`,
          );
        }
      }
    }
    const big = r.half('f16', [16, 32], 65000);
    await expect(
      k.merge({
        weight: big,
        A: r.uniform([4, 32], 100, 200),
        B: r.uniform([16, 4], 100, 200),
        safe: true,
        module: 'm',
      }),
    ).rejects.toThrow(NumericalError);
  });

  it('linear, adapterForward (with and without dropout), mixedBatchForward', async () => {
    const r = randomTensors(14);
    const x = r.uniform([2, 3, 32]);
    const A = r.uniform([4, 32], -0.3, 0.3);
    const B = r.uniform([24, 4], -0.3, 0.3);
    for (const fanInFanOut of [false, true]) {
      const args = {
        x,
        weight: r.uniform(fanInFanOut ? [32, 24] : [24, 32], -0.2, 0.2),
        bias: r.uniform([24]),
        fanInFanOut,
      };
      expectClose(
        await run(async () => k.linear(args)),
        await ref.linear(args),
        tol('linear', 'y'),
        `linear fif=${fanInFanOut}`,
      );
    }
    const xb = r.half('bf16', [5, 32]);
    const lin = { x: xb, weight: r.half('bf16', [24, 32], 0.2) };
    const yb = await run(async () => k.linear(lin));
    expect(yb.dtype).toBe('bf16');
    expectClose(yb, await ref.linear(lin), { atol: 0, rtol: 2 ** -7 }, 'bf16 linear within 1 bf16 ulp');
    const baseOut = r.uniform([2, 3, 24]);
    for (const dropout of [undefined, { p: 0.25, seed: 7 }]) {
      const args = dropout === undefined ? { x, baseOut, A, B } : { x, baseOut, A, B, dropout };
      expectClose(
        await run(async () => k.adapterForward(args)),
        await ref.adapterForward(args),
        tol('adapterForward', 'y'),
        `adapterForward dropout=${dropout !== undefined}`,
      );
    }
    const A2 = r.uniform([2, 32], -0.3, 0.3);
    const B2 = r.uniform([24, 2], -0.3, 0.3);
    const mixed = {
      x: r.uniform([6, 32]),
      baseOut: r.uniform([6, 24]),
      adapters: [
        { A, B },
        { A: A2, B: B2 },
      ],
      rowAdapter: Int32Array.from([1, -1, 0, 1, 0, -1]),
    };
    expectClose(
      await run(async () => k.mixedBatchForward(mixed)),
      await ref.mixedBatchForward(mixed),
      tol('mixedBatchForward', 'y'),
      'mixed batch',
    );
    await expect(k.mixedBatchForward({ ...mixed, rowAdapter: Int32Array.from([2, 0, 0, 0, 0, 0]) })).rejects.toThrow(
      ShapeError,
    );
  });

  it('logitsFromTopk (PEFT-exact and safe) and topkWeightsForSave', async () => {
    const r = randomTensors(15);
    const logits = r.normal([4, 3, 20], 2);
    for (const kk of [1, 2, 3, 5]) {
      const saved = await run(async () => k.topkWeightsForSave({ logits, k: kk }));
      const want = await ref.topkWeightsForSave({ logits, k: kk });
      expectClose(saved.indices, want.indices, EXACT, `indices k=${kk}`);
      expectClose(saved.weightsKm1, want.weightsKm1, tol('topkWeightsForSave', 'weightsKm1'), `weightsKm1 k=${kk}`);
      for (const safe of [false, true]) {
        const args = { indices: want.indices, weightsKm1: want.weightsKm1, nv: 20, safe };
        expectClose(
          await run(async () => k.logitsFromTopk(args)),
          await ref.logitsFromTopk(args),
          tol('logitsFromTopk', 'logits'),
          `logits k=${kk} safe=${safe}`,
        );
      }
    }
    // a stored row that PEFT reloads as NaN: Σ = 1 + 2^-23 > 1
    const nanRow = {
      indices: tensor('i32', [1, 3], Int32Array.from([0, 1, 2])),
      weightsKm1: tensor('f32', [1, 2], Float32Array.from([0.75, 0.25000003])),
      nv: 4,
    };
    expectClose(
      await k.logitsFromTopk(nanRow),
      await ref.logitsFromTopk(nanRow),
      tol('logitsFromTopk', 'logits'),
      'PEFT NaN row',
    );
    expectClose(
      await k.logitsFromTopk({ ...nanRow, safe: true }),
      await ref.logitsFromTopk({ ...nanRow, safe: true }),
      tol('logitsFromTopk', 'logits'),
      'safe row',
    );
  });

  it('admixtureBackward and composeBackward match the float64 reference', async () => {
    const r = randomTensors(16);
    const [nv, vl, rank, kk] = [30, 4, 2, 3];
    const bank = r.uniform([nv, vl]);
    const logits = r.normal([7, nv], 2);
    const adm = { logits, bank, k: kk, gradVectors: r.uniform([7, vl]) };
    const got = await run(async () => k.admixtureBackward(adm));
    const want = await ref.admixtureBackward(adm);
    expectClose(got.gradLogits, want.gradLogits, tol('admixtureBackward', 'gradLogits'), 'gradLogits');
    expectClose(got.gradBank, want.gradBank, tol('admixtureBackward', 'gradBank'), 'gradBank');
    const cb = {
      logitsA: r.normal([rank, 3, nv], 2),
      logitsB: r.normal([5, rank, nv], 2),
      bank,
      k: kk,
      gradA: r.uniform([rank, 3 * vl]),
      gradB: r.uniform([5 * vl, rank]),
    };
    const gotC = await run(async () => k.composeBackward(cb));
    const wantC = await ref.composeBackward(cb);
    for (const key of ['gradLogitsA', 'gradLogitsB', 'gradBank'] as const) {
      expectClose(gotC[key], wantC[key], tol('composeBackward', key), key);
    }
  });

  it('rejects bad arguments with ShapeError, like the reference', async () => {
    const r = randomTensors(17);
    const bank = r.uniform([8, 4]);
    await expect(
      Promise.resolve().then(() => k.topkAdmixture({ logits: r.uniform([2, 7]), bank, k: 2 })),
    ).rejects.toThrow(ShapeError);
    await expect(
      Promise.resolve().then(() => k.topkAdmixture({ logits: r.uniform([2, 8]), bank, k: 9 })),
    ).rejects.toThrow(ShapeError);
    await expect(
      Promise.resolve().then(() =>
        k.admixFromTopk({ indices: tensor('i32', [1, 2], Int32Array.from([0, 8])), weights: r.uniform([1, 2]), bank }),
      ),
    ).rejects.toThrow(ShapeError);
    await expect(
      Promise.resolve().then(() => k.deltaWeight({ A: r.uniform([2, 4]), B: r.uniform([4, 3]) })),
    ).rejects.toThrow(ShapeError);
  });
});
