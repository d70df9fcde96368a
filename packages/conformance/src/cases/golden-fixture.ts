/**
 * One PEFT golden case loaded from the packaged fixtures: adapters in both flavours, base weights, expected
 * tensors and the rows whose tied logits make torch's top-k choice implementation-defined.
 * @module
 */
import { readFileSync } from 'node:fs';
import { adapterFromFiles, readSafetensors, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { peftGoldenPath, type PeftGoldenCase } from '../fixtures.js';

/** A golden case in memory. */
export interface GoldenFixture {
  readonly name: PeftGoldenCase;
  readonly full: VBLoRAAdapter;
  readonly topk: VBLoRAAdapter;
  readonly base: ReadonlyMap<string, HostTensor>;
  readonly expected: ReadonlyMap<string, HostTensor>;
  /** True when some logits rows tie at the k-th place (torch's pick among equals is implementation-defined). */
  readonly hasTies: boolean;
}

function tensors(path: string): Map<string, HostTensor> {
  const raw = readFileSync(path);
  return readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)).tensors;
}

function adapter(c: PeftGoldenCase, flavour: 'adapter_full' | 'adapter_topk'): VBLoRAAdapter {
  const config = readFileSync(peftGoldenPath(c, flavour, 'adapter_config.json'), 'utf8');
  const weights = readFileSync(peftGoldenPath(c, flavour, 'adapter_model.safetensors'));
  return adapterFromFiles({ config, weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) }).adapter;
}

const cache = new Map<PeftGoldenCase, GoldenFixture>();

/** Loads (once per process) one packaged golden case. */
export function loadGoldenFixture(name: PeftGoldenCase): GoldenFixture {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  // summary.json is written by Python's json module: bare NaN may appear in measured-error fields
  const summary = JSON.parse(readFileSync(peftGoldenPath(name, 'summary.json'), 'utf8').replace(/\bNaN\b/g, 'null')) as {
    rows_with_tied_topk_logits?: Record<string, unknown>;
  };
  const fixture: GoldenFixture = {
    name,
    full: adapter(name, 'adapter_full'),
    topk: adapter(name, 'adapter_topk'),
    base: tensors(peftGoldenPath(name, 'base.safetensors')),
    expected: tensors(peftGoldenPath(name, 'expected.safetensors')),
    hasTies: Object.keys(summary.rows_with_tied_topk_logits ?? {}).length > 0,
  };
  cache.set(name, fixture);
  return fixture;
}

/** An expected tensor of a fixture, or a clear error naming the missing key. */
export function expectedTensor(f: GoldenFixture, key: string): HostTensor {
  const t = f.expected.get(key);
  if (t === undefined) throw new Error(`golden case ${f.name} has no expected tensor ${key}`);
  return t;
}
