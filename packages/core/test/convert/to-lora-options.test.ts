/** toLoraAdapter's argument checks, budget and output files, on small seeded adapters (seed in each case id). */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ResourceLimitError,
  UnsupportedError,
  loraToFiles,
  readSafetensors,
  toLoraAdapter,
  toLoraMemoryBytes,
} from '../../src/index.js';
import { smallAdapter } from '../helpers/small-adapter.js';

describe('toLoraAdapter options', () => {
  it('seed 1: refuses rank and energy together, a fractional or negative rank', async () => {
    const a = smallAdapter(1, 'full');
    for (const options of [{ rank: 2, energy: 0.5 }, { rank: 2.5 }, { rank: -1 }]) {
      const err = await toLoraAdapter(a, options).catch((e: unknown) => e);
      expect(err, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('rank');
    }
  });

  it('seed 2: refuses an energy of 0 or NaN with PEFT’s threshold message', async () => {
    for (const energy of [0, Number.NaN]) {
      const err = await toLoraAdapter(smallAdapter(2, 'full'), { energy }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^If rank is a float, it is interpreted as a threshold\./);
    }
  });

  it('seed 3: checks the memory budget before composing anything', async () => {
    const a = smallAdapter(3, 'topk');
    const need = toLoraMemoryBytes(a);
    await expect(toLoraAdapter(a, { maxMemoryBytes: need - 1 })).rejects.toBeInstanceOf(ResourceLimitError);
    await expect(toLoraAdapter(a, { maxMemoryBytes: need })).resolves.toBeDefined();
    expect(toLoraMemoryBytes(a, { rank: 8 })).toBeGreaterThan(need);
  });

  it('seed 4: r above min(in, out): rank r is PEFT’s too-large refusal, an energy is unsupported', async () => {
    const a = smallAdapter(4, 'full', [[1, 1]], 9); // in = out = 8 < r = 9
    const err = await toLoraAdapter(a).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^The chosen rank 9 is larger than the weight shape \(8\)/);
    await expect(toLoraAdapter(a, { energy: 0.5 })).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('seed 5: loraToFiles writes no __metadata__ (like save_file) and every tensor, float32', async () => {
    const lora = await toLoraAdapter(smallAdapter(5, 'topk'), { rank: 2 });
    const files = loraToFiles(lora);
    const read = readSafetensors(files.weights);
    expect(read.metadata).toBeNull();
    expect([...read.tensors.keys()].sort()).toEqual([...lora.tensors.keys()].sort());
    for (const [k, t] of read.tensors) {
      expect(t.dtype, k).toBe('f32');
      expect(t.data, k).toEqual(lora.tensors.get(k)!.data);
    }
    const config = JSON.parse(files.config) as Record<string, unknown>;
    expect([config.peft_type, config.r, config.lora_alpha]).toEqual(['LORA', 2, 2]);
    expect(files.config).toContain('"lora_dropout": 0.0');
  });

  it('seed 6: reports progress once per module', async () => {
    const a = smallAdapter(6, 'full');
    const seen: string[] = [];
    await toLoraAdapter(a, { energy: 0.9, onProgress: (done, total, m) => seen.push(`${done}/${total} ${m}`) });
    expect(seen).toEqual([...a.modules.keys()].map((m, i) => `${i + 1}/${a.modules.size} ${m}`));
  });
});

describe('toLoraAdapter config', () => {
  it('seed 7: a module path "__proto__" is an own rank_pattern entry, not a prototype change', async () => {
    const a = smallAdapter(7, 'full', [[2, 2]]);
    const m = [...a.modules.values()][0]!;
    const odd = { ...a, modules: new Map([['__proto__', { ...m, path: '__proto__' }]]) };
    const lora = await toLoraAdapter(odd, { energy: 0.9 });
    const pattern = lora.config.rank_pattern as Record<string, unknown>;
    expect(Object.getPrototypeOf(pattern)).toBe(Object.prototype);
    expect(Object.keys(pattern)).toEqual(['__proto__']);
    expect(loraToFiles(lora).config).toContain(
      `"rank_pattern": {\n    "__proto__": ${String(lora.ranks.get('__proto__'))}`,
    );
  });
});
