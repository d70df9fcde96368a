/**
 * Synthetic adapters for tests and load tests: variants of one PEFT adapter, each a different adapter (its vector
 * bank's rows rotated, and scaled past one rotation per bank) with the same modules and sizes.
 * @module
 */
import { join } from 'node:path';
import type { HostTensor, VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir, writeAdapterDir } from '@vblora/core/node';

/** Variant `i` of `adapter`: bank row j is the source's row (j + i) mod nv, times 1 + ⌊i / nv⌋ / 4. */
export function adapterVariant(adapter: VBLoRAAdapter, i: number): VBLoRAAdapter {
  const [nv, vl] = adapter.bank.shape as [number, number];
  const src = adapter.bank.data;
  const shift = i % nv;
  const scale = 1 + Math.floor(i / nv) / 4;
  let data: typeof src;
  if (src instanceof Float32Array) {
    const out = new Float32Array(src.length);
    for (let j = 0; j < nv; j++) {
      const from = ((j + shift) % nv) * vl;
      for (let c = 0; c < vl; c++) out[j * vl + c] = src[from + c]! * scale;
    }
    data = out;
  } else {
    // 16-bit banks: rotation only (scaling would need a rounding rule)
    const out = new Uint16Array(src.length);
    for (let j = 0; j < nv; j++) out.set(src.subarray(((j + shift) % nv) * vl, ((j + shift) % nv) * vl + vl), j * vl);
    data = out;
  }
  return { ...adapter, name: 'default', bank: { ...adapter.bank, data } as HostTensor<typeof adapter.bank.dtype> };
}

/**
 * Writes `count` variants of the PEFT adapter in `source` as `<outDir>/<prefix><i>` (i from 0; variant 0 is the
 * source itself) and returns their ids.
 */
export async function writeAdapterVariants(
  source: string,
  outDir: string,
  count: number,
  prefix = 'variant-',
): Promise<string[]> {
  const { adapter } = await readAdapterDir(source);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${i}`;
    await writeAdapterDir(join(outDir, id), adapterVariant(adapter, i));
    ids.push(id);
  }
  return ids;
}
