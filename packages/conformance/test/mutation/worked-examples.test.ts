/**
 * The worked examples of docs/adding-a-backend.md are computed, not invented: every output line the doc shows is
 * what core's reference kernel returns for the example's arguments, and the example backend (which the mutation
 * self-test edits) returns the same. `VBLORA_PRINT_EXAMPLES=1` prints the lines to paste after changing an example.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  dropoutMask,
  f16BitsToF32,
  referenceBackend,
  tensor,
  type HostTensor,
  type KernelName,
} from '@vblora/core';
import { tinyBackend } from '../../examples/tiny-backend.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/adding-a-backend.md');

const f32 = (shape: number[], v: number[]) => tensor('f32', shape, Float32Array.from(v));
const bf16 = (shape: number[], bits: number[]) => tensor('bf16', shape, Uint16Array.from(bits));
const i64 = (shape: number[], v: number[]) =>
  tensor(
    'i64',
    shape,
    BigInt64Array.from(v, (x) => BigInt(x)),
  );
const i32 = (shape: number[], v: number[]) => tensor('i32', shape, Int32Array.from(v));

/** One worked example: a kernel call whose every output the doc prints. */
interface Example {
  readonly id: string;
  readonly kernel: KernelName;
  readonly args: () => unknown;
}

const BANK = f32([5, 2], [1, 0, 0, 1, -1, 0, 0, -1, 0.5, 0.5]);

/** The examples, in the order the doc shows them. */
const EXAMPLES: readonly Example[] = [
  {
    id: 'topkAdmixture',
    kernel: 'topkAdmixture',
    args: () => ({ logits: f32([2, 5], [0.5, 2, -1, 2, 1, -3, NaN, 4, -Infinity, 4]), bank: BANK, k: 3 }),
  },
  {
    id: 'admixFromTopk',
    kernel: 'admixFromTopk',
    args: () => ({ indices: i64([1, 2], [4, 0]), weights: f32([1, 2], [0.75, 0.25]), bank: BANK }),
  },
  {
    id: 'logitsFromTopk',
    kernel: 'logitsFromTopk',
    args: () => ({
      indices: i32([3, 3], [2, 0, 3, 1, 1, 2, 0, 1, 2]),
      weightsKm1: f32([3, 2], [0.5, 0.3, 0.25, 0.5, 0.6, 0.4000001]),
      nv: 4,
    }),
  },
  {
    id: 'logitsFromTopk-safe',
    kernel: 'logitsFromTopk',
    args: () => ({ indices: i32([1, 3], [0, 1, 2]), weightsKm1: f32([1, 2], [0.6, 0.4000001]), nv: 4, safe: true }),
  },
  {
    id: 'topkWeightsForSave',
    kernel: 'topkWeightsForSave',
    args: () => ({
      logits: f32([2, 4], [14.38256549835205, 5.730785369873047, -14.738536834716797, -20, 0, 1, 2, 3]),
      k: 3,
    }),
  },
  {
    id: 'topkReload',
    kernel: 'topkReload',
    args: () => ({
      indices: i64([3, 3], [2, 0, 3, 1, 4, 2, 0, 1, 2]),
      weightsKm1: f32([3, 2], [0.5, 0.3, 0.25, 0.5, 0.6, 0.4000001]),
      k: 3,
    }),
  },
  {
    id: 'composeLowRank',
    kernel: 'composeLowRank',
    args: () => ({
      logitsA: f32([2, 1, 5], [3, 0, 0, 0, 0, 0, 0, 0, 0, 3]), // r = 2, in_t = 1
      logitsB: f32([2, 2, 5], [0, 3, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0]), // out_t = 2, r = 2
      bank: BANK,
      k: 1,
    }),
  },
  {
    id: 'deltaWeight',
    kernel: 'deltaWeight',
    args: () => ({ A: f32([2, 2], [1, 0, 0.5, 0.5]), B: f32([3, 2], [1, 2, 0, 1, -1, 0]), fanInFanOut: true }),
  },
  {
    id: 'merge-bf16',
    kernel: 'merge',
    // W = [1, 1, -2] in bf16; ΔW = [2^-8, 3·2^-8, 2^-7]: two sums land exactly on bf16 midpoints
    args: () => ({
      weight: bf16([1, 3], [0x3f80, 0x3f80, 0xc000]),
      A: f32([1, 3], [2 ** -8, 3 * 2 ** -8, 2 ** -7]),
      B: f32([1, 1], [1]),
    }),
  },
  {
    id: 'unmerge-f32',
    kernel: 'unmerge',
    args: () => ({ weight: f32([1, 2], [0.5, -0]), A: f32([1, 2], [0.5, 0]), B: f32([1, 1], [1]) }),
  },
  {
    id: 'linear',
    kernel: 'linear',
    args: () => ({
      x: bf16([1, 2], [0x3f80, 0x4000]),
      weight: f32([2, 3], [1, 0, -1, 0.5, 0.25, 2]),
      bias: f32([3], [0.125, 0, 0]),
      fanInFanOut: true,
    }),
  },
  {
    id: 'adapterForward',
    kernel: 'adapterForward',
    args: () => ({
      x: f32([1, 4], [1, 2, 3, 4]),
      baseOut: bf16([1, 2], [0x3f80, 0xbf80]),
      A: f32([1, 4], [0.5, 0.25, 0, 1]),
      B: f32([2, 1], [1, -0.5]),
      dropout: { p: 0.5, seed: 7 },
    }),
  },
  {
    id: 'mixedBatchForward',
    kernel: 'mixedBatchForward',
    args: () => ({
      x: f32([3, 2], [1, 1, 1, 1, 2, 0]),
      baseOut: f32([3, 1], [10, 10, 10]),
      adapters: [
        { A: f32([1, 2], [1, 1]), B: f32([1, 1], [1]) },
        { A: f32([2, 2], [1, 0, 0, 1]), B: f32([1, 2], [0.5, -1]) },
      ],
      rowAdapter: Int32Array.from([1, -1, 0]),
    }),
  },
  {
    id: 'admixtureBackward',
    kernel: 'admixtureBackward',
    args: () => ({ logits: f32([1, 5], [0.5, 2, -1, 2, 1]), bank: BANK, k: 2, gradVectors: f32([1, 2], [1, -1]) }),
  },
  {
    id: 'composeBackward',
    kernel: 'composeBackward',
    args: () => ({
      logitsA: f32([1, 1, 5], [1, 0, 0, 0, 2]),
      logitsB: f32([1, 1, 5], [0, 0, 3, 1, 0]),
      bank: BANK,
      k: 2,
      gradA: f32([1, 2], [1, 0]),
      gradB: f32([2, 1], [0, 1]),
    }),
  },
];

function values(t: HostTensor): string[] {
  const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  if (t.dtype === 'bf16' || t.dtype === 'f16') {
    const widen = t.dtype === 'bf16' ? bf16BitsToF32 : f16BitsToF32;
    return Array.from(t.data as Uint16Array, (h) => `${show(widen(h))} (0x${h.toString(16).padStart(4, '0')})`);
  }
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? String(v) : show(v)));
}

/** The doc lines of a result: `name: dtype (shape) [values]` per output, plus nudgedRows. */
function lines(result: unknown, single: string): string[] {
  const isTensor = (v: unknown): v is HostTensor => typeof v === 'object' && v !== null && 'dtype' in v && 'data' in v;
  const entries = isTensor(result) ? [[single, result] as const] : Object.entries(result as Record<string, unknown>);
  return entries.map(([name, v]) =>
    isTensor(v)
      ? `${name}: ${v.dtype} (${v.shape.join(', ')}) [${values(v).join(', ')}]`
      : `${name}: [${(v as number[]).join(', ')}]`,
  );
}

const SINGLE: Partial<Record<KernelName, string>> = {
  admixFromTopk: 'vectors',
  logitsFromTopk: 'logits',
  deltaWeight: 'delta',
  merge: 'weight',
  unmerge: 'weight',
  linear: 'y',
  adapterForward: 'y',
  mixedBatchForward: 'y',
};

async function run(backend: typeof referenceBackend, e: Example): Promise<string[]> {
  const kernel = backend.kernels[e.kernel] as (a: unknown) => unknown;
  return lines(await kernel(e.args()), SINGLE[e.kernel] ?? '');
}

describe('docs/adding-a-backend.md: worked examples', () => {
  const doc = readFileSync(DOC, 'utf8');
  const tiny = tinyBackend();
  for (const e of EXAMPLES) {
    it(`${e.id}: the doc shows the reference's outputs, and the example backend gives the same`, async () => {
      const expected = await run(referenceBackend, e);
      if (process.env.VBLORA_PRINT_EXAMPLES === '1') console.info(`${e.id}\n${expected.join('\n')}`);
      expect(await run(tiny, e)).toEqual(expected);
      for (const line of expected) expect(doc, `docs/adding-a-backend.md lacks the line\n${line}`).toContain(line);
    });
  }

  it('the dropout mask of the adapterForward example', () => {
    const line = `dropoutMask(4, 0.5, 7) = [${Array.from(dropoutMask(4, 0.5, 7)).join(', ')}]`;
    if (process.env.VBLORA_PRINT_EXAMPLES === '1') console.info(line);
    expect(doc).toContain(line);
  });
});
