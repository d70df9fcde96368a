import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DType } from '@vblora/core';
import { readSafetensors } from '../../src/checkpoint/safetensors-read.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write.js';
import { GOLDEN_CASES, goldenPath } from '../helpers/golden-paths.js';
import { goldenSafetensorsFiles, readGolden } from './helpers/files.js';

const FILES = goldenSafetensorsFiles();

// summary.json names dtypes the torch way.
const TORCH_DTYPE: Readonly<Record<string, DType>> = {
  float32: 'f32',
  float64: 'f64',
  float16: 'f16',
  bfloat16: 'bf16',
  int64: 'i64',
  int32: 'i32',
  int16: 'i16',
  int8: 'i8',
  uint8: 'u8',
  bool: 'bool',
};

/** Index of the first differing byte, or -1 (a readable failure instead of a 2 MB diff). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('golden safetensors files (written by PEFT through the Rust-exact serializer)', () => {
  it('finds all 20 files: base, adapter_full, adapter_topk and expected of each of the 5 cases', () => {
    expect(FILES).toHaveLength(20);
  });

  it.each(FILES)('%s: read → write reproduces the file byte for byte', (rel) => {
    const bytes = readGolden(rel);
    const file = readSafetensors(bytes);
    const again = writeSafetensors(file.tensors, file.metadata);
    expect(firstDifference(again, bytes)).toBe(-1);
  });

  it.each(FILES)('%s: every tensor is a zero-copy view into the file bytes', (rel) => {
    const bytes = readGolden(rel);
    for (const [name, t] of readSafetensors(bytes).tensors) {
      expect(t.data.buffer, name).toBe(bytes.buffer);
    }
  });

  it.each(GOLDEN_CASES)('%s: names, dtypes and shapes match summary.json', (c) => {
    // Python's json writes bare NaN / Infinity, which JSON.parse rejects; none of them sits in the key tables.
    const text = readFileSync(goldenPath(c, 'summary.json'), 'utf8').replace(/-?\bInfinity\b|\bNaN\b/g, 'null');
    const summary = JSON.parse(text) as Record<string, Record<string, [string, number[]]>>;
    const files: [string, string][] = [
      ['base_keys', 'base.safetensors'],
      ['adapter_full_keys', 'adapter_full/adapter_model.safetensors'],
      ['adapter_topk_keys', 'adapter_topk/adapter_model.safetensors'],
      ['expected_keys', 'expected.safetensors'],
    ];
    for (const [key, rel] of files) {
      const want = summary[key]!;
      const got = readSafetensors(readGolden(`${c}/${rel}`)).tensors;
      expect([...got.keys()].sort(), rel).toEqual(Object.keys(want).sort());
      for (const [name, [dtype, shape]] of Object.entries(want)) {
        const t = got.get(name)!;
        expect({ dtype: t.dtype, shape: t.shape }, `${rel} ${name}`).toEqual({ dtype: TORCH_DTYPE[dtype], shape });
      }
    }
  });

  it('keeps metadata keys in file order (expected.safetensors lists format, generator, peft_commit, case)', () => {
    const c = GOLDEN_CASES[0];
    const { metadata } = readSafetensors(readGolden(`${c}/expected.safetensors`));
    expect(Object.keys(metadata ?? {})).toEqual(['format', 'generator', 'peft_commit', 'case']);
    expect(metadata?.case).toBe(c);
  });

  it('reads PEFT adapters with metadata {"format": "pt"}', () => {
    const { metadata } = readSafetensors(readGolden(`${GOLDEN_CASES[0]}/adapter_full/adapter_model.safetensors`));
    expect({ ...metadata }).toEqual({ format: 'pt' });
  });
});
