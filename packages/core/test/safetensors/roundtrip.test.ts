import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPE_ARRAY, DTYPE_BYTES, type DType, type HostTensor } from '@vblora/core';
import { readSafetensors } from '../../src/checkpoint/safetensors-read.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write.js';

// Accuracy: exact — bytes, dtypes, shapes and names must come back identical.

const DTYPES = Object.keys(DTYPE_BYTES) as DType[];

/** A tensor of any dtype and shape (scalars and zero-size included) holding arbitrary bit patterns (NaNs too). */
const tensorArb: fc.Arbitrary<HostTensor> = fc
  .record({
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(1)), { maxLength: 4 }),
  })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.uint8Array({ minLength: n * DTYPE_BYTES[dtype], maxLength: n * DTYPE_BYTES[dtype] }).map((bytes) => {
      const Ctor = DTYPE_ARRAY[dtype] as unknown as new (b: ArrayBuffer) => HostTensor['data'];
      return { dtype, shape, data: new Ctor(bytes.slice().buffer) };
    });
  });

const nameArb = fc.string({ unit: 'binary', maxLength: 10 }).filter((s) => s !== '__metadata__' && s !== '__proto__');
const metaArb = fc.option(
  fc.dictionary(
    fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'),
    fc.string({ unit: 'binary', maxLength: 8 }),
    { maxKeys: 3, noNullPrototype: true },
  ),
  { nil: null },
);

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const bytesOf = (t: HostTensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('safetensors round trip', () => {
  it('write → read gives back every tensor of every dtype and shape exactly (seed 42)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(nameArb, tensorArb), { selector: ([n]) => n, maxLength: 8 }),
        metaArb,
        (pairs, meta) => {
          const bytes = writeSafetensors(pairs, meta);
          const back = readSafetensors(bytes);
          expect(back.metadata === null ? null : { ...back.metadata }).toEqual(meta);
          expect(back.tensors.size).toBe(pairs.length);
          for (const [name, t] of pairs) {
            const got = back.tensors.get(name);
            const same =
              got !== undefined &&
              got.dtype === t.dtype &&
              got.shape.join() === t.shape.join() &&
              got.shape.length === t.shape.length &&
              got.data instanceof DTYPE_ARRAY[t.dtype] &&
              got.data.length === t.data.length &&
              sameBytes(bytesOf(got), bytesOf(t));
            if (!same) expect({ name, ...got }).toEqual({ name, ...t });
          }
          // Writing what was read reproduces the file byte for byte.
          if (!sameBytes(writeSafetensors(back.tensors, back.metadata), bytes)) expect.fail('re-write differs');
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('all 15 dtypes appear among the generated tensors (the property above is not vacuous)', () => {
    const seen = new Set(fc.sample(tensorArb, { seed: 42, numRuns: 300 }).map((t) => t.dtype));
    expect(seen.size).toBe(DTYPES.length);
  });
});
