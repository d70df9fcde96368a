import { describe, expect, it } from 'vitest';
import {
  adapterFromFiles,
  adapterToFiles,
  BANK_KEY,
  composeAdapter,
  createConfig,
  describeAdapter,
  factorKey,
  parseConfig,
  readSafetensors,
  serializeConfig,
  tensor,
  toFullAdapter,
  toSavedConfig,
  toTopkAdapter,
  writeSafetensors,
  type HostTensor,
} from '@vblora/core';
import { prototypesAreClean } from './helpers/outcome.js';
import { buildFile } from '../safetensors/helpers/files.js';

// Names that are dangerous when copied into plain objects. Property: wherever a stranger's file can put them —
// safetensors tensor names and metadata keys, module paths, extra tensors, config keys and values — they stay
// data: no prototype changes, no lookups that find Object.prototype members, nothing lost or renamed.
const NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
];
const PAYLOAD = '{"polluted":"yes","isAdmin":true}';

describe('safetensors headers', () => {
  for (const name of NAMES) {
    it(`"${name}" as a tensor name and as a metadata key`, () => {
      const asTensor = buildFile(`{"${name}":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1);
      const asMeta = buildFile(
        `{"__metadata__":{"${name}":"x","format":"pt"},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`,
        1,
      );
      if (name === '__proto__') {
        // No real checkpoint has it, and later code may copy names into plain objects: refused by rule.
        expect(() => readSafetensors(asTensor)).toThrow(expect.objectContaining({ rule: 'forbidden-key' }));
        expect(() => readSafetensors(asMeta)).toThrow(expect.objectContaining({ rule: 'forbidden-key' }));
      } else {
        const t = readSafetensors(asTensor).tensors;
        expect([...t.keys()]).toEqual([name]);
        const meta = readSafetensors(asMeta).metadata!;
        expect(Object.getPrototypeOf(meta)).toBe(null); // a null-prototype record: meta.toString is data or absent
        expect(meta[name]).toBe('x');
        expect(Object.keys(meta)).toEqual([name, 'format']);
        // and the writer keeps it, byte-stable
        const again = writeSafetensors(t, meta);
        expect(readSafetensors(again).metadata![name]).toBe('x');
      }
      expect(prototypesAreClean()).toBe(true);
    });
  }

  it('a "__proto__" payload nested inside metadata or an entry is never merged into anything', () => {
    for (const json of [
      `{"__metadata__":{"a":${PAYLOAD}}}`,
      `{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"__proto__":${PAYLOAD}}}`,
      `{"w":{"__proto__":${PAYLOAD},"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`,
    ]) {
      expect(() => readSafetensors(buildFile(json, 1))).toThrow(
        expect.objectContaining({ name: 'CheckpointFormatError' }),
      );
    }
    expect(prototypesAreClean()).toBe(true);
  });
});

describe('adapter_config.json', () => {
  const base = serializeConfig(
    toSavedConfig(createConfig({ r: 2, num_vectors: 8, vector_length: 2, topk: 2, target_modules: ['q_proj'] })),
  );
  for (const name of NAMES) {
    it(`"${name}" as a top-level key, an auto_mapping key and a target module stays data`, () => {
      const text = base
        .replace('{', `{"${name}": ${PAYLOAD}, `)
        .replace('"auto_mapping": null', `"auto_mapping": {"${name}": ${PAYLOAD}}`)
        .replace('"q_proj"', `"${name}"`);
      const { config, unknownKeys, warnings } = parseConfig(text);
      expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(unknownKeys)).toEqual([name]);
      expect(warnings.join('\n')).toContain(name);
      expect(config.target_modules).toEqual([name]);
      const mapping = config.auto_mapping as Record<string, unknown>;
      expect(Object.getOwnPropertyNames(mapping)).toEqual([name]);
      expect(Object.getPrototypeOf(mapping[name])).toBe(Object.prototype);
      // re-serialising keeps the key as data
      expect(serializeConfig(config)).toContain(`"${name}"`);
      expect(prototypesAreClean()).toBe(true);
    });
  }
});

describe('adapters whose module paths and extra tensors carry such names', () => {
  const vl = 2;
  const nv = 4;
  function files(path: string, extra: string): { config: string; weights: Uint8Array } {
    const lg = (shape: number[]): HostTensor =>
      tensor(
        'f32',
        shape,
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i)),
      );
    const tensors = new Map<string, HostTensor>([
      [BANK_KEY, lg([nv, vl])],
      [factorKey(path, 'A', 'logits'), lg([1, 1, nv])],
      [factorKey(path, 'B', 'logits'), lg([1, 1, nv])],
      [extra, lg([vl])],
    ]);
    const config = serializeConfig(
      toSavedConfig(createConfig({ r: 1, num_vectors: nv, vector_length: vl, topk: 2, target_modules: ['x'] })),
    );
    return { config, weights: writeSafetensors(tensors) };
  }
  for (const name of NAMES) {
    it(`module path "${name}" and extra tensor "base_model.model.${name}.bias" load, compose, convert and re-write`, async () => {
      for (const path of [name, `model.${name}.q_proj`, `${name}.${name}`]) {
        const { adapter } = adapterFromFiles(files(path, `base_model.model.${name}.bias`));
        expect([...adapter.modules.keys()]).toEqual([path]);
        expect([...adapter.extraTensors.keys()]).toEqual([`base_model.model.${name}.bias`]);
        expect(describeAdapter(adapter).modules.map((m) => m.path)).toEqual([path]);
        expect([...(await composeAdapter(adapter)).keys()]).toEqual([path]);
        for (const converted of [toTopkAdapter(adapter).adapter, toFullAdapter(adapter).adapter]) {
          const back = adapterFromFiles(adapterToFiles(converted)).adapter;
          expect([...back.modules.keys()]).toEqual([path]);
        }
      }
      expect(prototypesAreClean()).toBe(true);
    });
  }
});
