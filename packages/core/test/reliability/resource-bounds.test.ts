import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ADAPTER_LOAD_LIMITS,
  adapterFromFiles,
  CheckpointFormatError,
  createConfig,
  factorKey,
  BANK_KEY,
  parseConfig,
  readSafetensors,
  ResourceLimitError,
  serializeConfig,
  tensor,
  toSavedConfig,
  VBLoRAError,
  writeSafetensors,
  type HostTensor,
} from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { GOLDEN_ADAPTERS } from './helpers/golden-adapters.js';
import { hostileAdapterDir, type HostileKind } from './helpers/hostile-files.js';
import { buildFile } from '../safetensors/helpers/files.js';

// Every cap is checked before anything of the capped size is allocated or walked. "Fast" = under 250 ms (the
// checks themselves take well under 1 ms; the margin is for a busy CI machine), "no allocation" = the process's
// ArrayBuffer memory grows by less than 16 MiB while a file that declares gigabytes is rejected.
const FAST_MS = 250;
const SMALL_GROWTH = 16 * 2 ** 20;
const tmp = mkdtempSync(join(tmpdir(), 'vblora-bounds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `fn`, which must throw; returns the error, the time taken and the ArrayBuffer growth. */
async function rejection(fn: () => unknown): Promise<{ err: unknown; ms: number; growth: number }> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  try {
    await fn();
  } catch (err) {
    return { err, ms: performance.now() - t0, growth: process.memoryUsage().arrayBuffers - before };
  }
  throw new Error('expected a rejection');
}

const pad1k = (json: string): Uint8Array => buildFile(json.padEnd(1016, ' '));
const golden = GOLDEN_ADAPTERS.find((g) => g.id === 'llama_f32_vl16_nv64_top2/adapter_topk')!;

describe('safetensors caps, checked before allocating', () => {
  it('a 2 GB tensor declared in a 1 KB file fails fast, as bytes and through the adapter loader', async () => {
    const file = pad1k('{"w":{"dtype":"F32","shape":[536870912],"data_offsets":[0,2147483648]}}');
    expect(file.length).toBe(1024);
    for (const run of [() => readSafetensors(file), () => adapterFromFiles({ config: golden.config, weights: file })]) {
      const { err, ms, growth } = await rejection(run);
      expect(err).toBeInstanceOf(CheckpointFormatError);
      expect((err as CheckpointFormatError).rule).toBe('coverage');
      expect((err as Error).message).toContain('"w"');
      expect(ms).toBeLessThan(FAST_MS);
      expect(growth).toBeLessThan(SMALL_GROWTH);
    }
  });

  it('the header length prefix is capped before the header is read (default 100,000,000 bytes, or as set)', async () => {
    for (const n of [2n ** 64n - 1n, 2n ** 53n, 100_000_001n]) {
      const file = new Uint8Array(16);
      new DataView(file.buffer).setBigUint64(0, n, true);
      const { err, ms, growth } = await rejection(() => readSafetensors(file));
      expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxHeaderBytes' });
      expect(ms).toBeLessThan(FAST_MS);
      expect(growth).toBeLessThan(SMALL_GROWTH);
    }
    expect(() => readSafetensors(golden.weights, { maxHeaderBytes: 64 })).toThrow(ResourceLimitError);
  });

  it('the total of declared tensor bytes is capped (maxTotalBytes)', () => {
    expect(() => readSafetensors(golden.weights, { maxTotalBytes: 100 })).toThrow(
      expect.objectContaining({ name: 'ResourceLimitError', limit: 'maxTotalBytes' }),
    );
    expect(readSafetensors(golden.weights, { maxTotalBytes: golden.weights.length }).tensors.size).toBeGreaterThan(0);
  });

  it('shape products that overflow 2^53 are rejected, not wrapped', () => {
    for (const shape of [
      '[2147483648,2147483648,2147483648]',
      '[9007199254740991,2]',
      '[67108864,67108864]',
      '[4503599627370496,3]',
    ]) {
      const err = (() => {
        try {
          readSafetensors(pad1k(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,0]}}`));
        } catch (e) {
          return e;
        }
      })();
      expect(err, shape).toMatchObject({ name: 'CheckpointFormatError', rule: 'shape-overflow' });
    }
  });

  it('JSON nesting is capped (64 levels) and 100,000 levels cannot overflow the stack', async () => {
    for (const depth of [65, 1000, 100_000]) {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      for (const json of [
        `{"__metadata__":{"a":${nested}}}`,
        `{"w":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
        nested,
      ]) {
        const { err, ms } = await rejection(() => readSafetensors(buildFile(json)));
        expect(err, `depth ${depth}`).toMatchObject({ name: 'ResourceLimitError', limit: 'maxDepth' });
        expect(ms).toBeLessThan(FAST_MS);
      }
    }
  });
});

describe('adapter_config.json caps', () => {
  it('length (1 MiB), nesting (32) and value count (100,000) are capped before parsing goes deep', async () => {
    const cases: [string, string][] = [
      [`{"peft_type": "VBLORA", "x": "${'a'.repeat(2 ** 20)}"}`, 'maxLength'],
      [`{"peft_type": "VBLORA", "x": ${'['.repeat(33)}${']'.repeat(33)}}`, 'maxDepth'],
      [`{"peft_type": "VBLORA", "x": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, 'maxDepth'],
      [`{"peft_type": "VBLORA", "x": [${Array(100_001).fill(0).join(',')}]}`, 'maxValues'],
    ];
    for (const [text, limit] of cases) {
      for (const input of [text, new TextEncoder().encode(text)]) {
        const { err, ms } = await rejection(() => parseConfig(input));
        expect(err, limit).toMatchObject({ name: 'ResourceLimitError', limit });
        expect(ms).toBeLessThan(FAST_MS);
      }
    }
  });
});

describe('adapter sizes: a small file cannot ask for a huge composition', () => {
  /** A top-k adapter with `modules` modules of `tiles` × `vl` features each, nv = 1, k = 1, r = 1: tiny on disk. */
  function tinyTopk(vl: number, tiles: number, modules: number): { config: string; weights: Uint8Array } {
    const tensors = new Map<string, HostTensor>([[BANK_KEY, tensor('bf16', [1, vl], new Uint16Array(vl))]]);
    for (let m = 0; m < modules; m++) {
      const path = `model.layers.${m}.mlp.up_proj`;
      tensors.set(factorKey(path, 'A', 'topk_indices'), tensor('u8', [1, tiles, 1], new Uint8Array(tiles)));
      tensors.set(factorKey(path, 'A', 'topk_weights'), tensor('f32', [1, tiles, 0], new Float32Array(0)));
      tensors.set(factorKey(path, 'B', 'topk_indices'), tensor('u8', [tiles, 1, 1], new Uint8Array(tiles)));
      tensors.set(factorKey(path, 'B', 'topk_weights'), tensor('f32', [tiles, 1, 0], new Float32Array(0)));
    }
    const config = toSavedConfig(
      createConfig({ r: 1, num_vectors: 1, vector_length: vl, topk: 1, target_modules: ['up_proj'] }),
    );
    config.save_only_topk_weights = true;
    return { config: serializeConfig(config), weights: writeSafetensors(tensors) };
  }

  it('a 200 KB file declaring 2^32 in-features is refused at load (it would compose a 16 GB factor)', async () => {
    const files = tinyTopk(65536, 65536, 1);
    expect(files.weights.length).toBeLessThan(300_000);
    const { err, ms, growth } = await rejection(() => adapterFromFiles(files));
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxFeatures' });
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
  });

  it('many modules within the per-module cap are refused once Σ r·(in + out) passes 2^30', async () => {
    const perModule = 2 * 2 ** 24;
    const files = tinyTopk(4096, 4096, ADAPTER_LOAD_LIMITS.maxComposedElements / perModule + 1);
    expect(files.weights.length).toBeLessThan(600_000);
    const { err } = await rejection(() => adapterFromFiles(files));
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxComposedElements' });
    expect(() => adapterFromFiles(tinyTopk(4096, 4096, 2))).not.toThrow(); // the same modules, few enough
  });
});

describe('untrusted adapter directories: only bounded reads of regular files', () => {
  const good = { config: golden.config, weights: golden.weights };
  const cases: [HostileKind, 'config' | 'weights', string, string?][] = [
    ['fifo', 'config', 'AdapterError'], // readFile would block forever on open
    ['fifo', 'weights', 'AdapterError'],
    ['dev-zero-link', 'config', 'AdapterError'], // readFile would read until memory runs out
    ['dev-zero-link', 'weights', 'AdapterError'],
    ['directory', 'weights', 'AdapterError'],
    ['socket', 'config', 'AdapterError'],
    ['sparse-huge', 'weights', 'ResourceLimitError', 'maxFileBytes'], // 3 GB: readFile throws an untyped RangeError
    ['sparse-huge', 'config', 'ResourceLimitError', 'maxLength'], // 2 MB config: refused before reading
  ];
  for (const [kind, which, name, limit] of cases) {
    it(`${which} as ${kind} → ${name}${limit ? ` (${limit})` : ''}, fast`, async () => {
      const dir = join(tmp, `${kind}-${which}`);
      const huge = which === 'weights' ? 3 * 2 ** 30 : 2 * 2 ** 20;
      const cleanup = await hostileAdapterDir(dir, which, kind, good, huge);
      try {
        const { err, ms, growth } = await rejection(() => readAdapterDir(dir));
        expect(err).toBeInstanceOf(VBLoRAError);
        expect(err).toMatchObject(limit === undefined ? { name } : { name, limit });
        expect(ms).toBeLessThan(FAST_MS);
        expect(growth).toBeLessThan(SMALL_GROWTH);
      } finally {
        await cleanup();
      }
    });
  }

  it('a 2 GB tensor declared in a 1 KB adapter_model.safetensors fails fast from disk too', async () => {
    const dir = join(tmp, 'declared-2gb');
    mkdirSync(dir);
    writeFileSync(join(dir, 'adapter_config.json'), good.config);
    writeFileSync(
      join(dir, 'adapter_model.safetensors'),
      pad1k('{"w":{"dtype":"F32","shape":[536870912],"data_offsets":[0,2147483648]}}'),
    );
    const { err, ms, growth } = await rejection(() => readAdapterDir(dir));
    expect(err).toMatchObject({ name: 'CheckpointFormatError', rule: 'coverage' });
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
    expect(readFileSync(join(dir, 'adapter_model.safetensors')).length).toBe(1024);
  });
});
