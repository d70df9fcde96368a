/**
 * One PEFT golden case in memory: adapters in both flavours, base weights, expected tensors and whether some
 * logits rows tie (torch's top-k choice among equals is implementation-defined). Built from the case's files,
 * wherever they came from (disk in Node, `fetch` in a page).
 * @module
 */
import { adapterFromFiles, readSafetensors, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import type { GoldenCaseFile, PeftGoldenCase } from './names.js';

/** A golden case in memory. */
export interface GoldenFixture {
  /** The case's name. */
  readonly name: PeftGoldenCase;
  /** The adapter as PEFT saved it with full logits. */
  readonly full: VBLoRAAdapter;
  /** The same adapter saved in PEFT's top-k flavour. */
  readonly topk: VBLoRAAdapter;
  /** The base model's weights, by PEFT module path + `.weight` / `.bias`. */
  readonly base: ReadonlyMap<string, HostTensor>;
  /** PEFT's outputs (A, B, deltas, merged weights, probe outputs), by key. */
  readonly expected: ReadonlyMap<string, HostTensor>;
  /** True when some logits rows tie at the k-th place (torch's pick among equals is implementation-defined). */
  readonly hasTies: boolean;
}

/** Golden cases by name, as the case builders take them. */
export type GoldenFixtures = ReadonlyMap<PeftGoldenCase, GoldenFixture>;

/** The bytes of one file of a case. */
export type GoldenFileReader = (file: GoldenCaseFile) => Uint8Array;

function tensors(bytes: Uint8Array): Map<string, HostTensor> {
  return readSafetensors(bytes).tensors;
}

/** Builds one golden case from its files. */
export function goldenFixtureFromFiles(name: PeftGoldenCase, read: GoldenFileReader): GoldenFixture {
  const text = (file: GoldenCaseFile) => new TextDecoder().decode(read(file));
  const adapter = (flavour: 'adapter_full' | 'adapter_topk'): VBLoRAAdapter =>
    adapterFromFiles({
      config: text(`${flavour}/adapter_config.json`),
      weights: read(`${flavour}/adapter_model.safetensors`),
    }).adapter;
  // summary.json is written by Python's json module: bare NaN may appear in measured-error fields
  const summary = JSON.parse(text('summary.json').replace(/\bNaN\b/g, 'null')) as {
    rows_with_tied_topk_logits?: Record<string, unknown>;
  };
  return {
    name,
    full: adapter('adapter_full'),
    topk: adapter('adapter_topk'),
    base: tensors(read('base.safetensors')),
    expected: tensors(read('expected.safetensors')),
    hasTies: Object.keys(summary.rows_with_tied_topk_logits ?? {}).length > 0,
  };
}

/** An expected tensor of a fixture, or a clear error naming the missing key. */
export function expectedTensor(f: GoldenFixture, key: string): HostTensor {
  const t = f.expected.get(key);
  if (t === undefined) throw new Error(`golden case ${f.name} has no expected tensor ${key}`);
  return t;
}
