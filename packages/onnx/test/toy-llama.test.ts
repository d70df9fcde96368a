import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AdapterError,
  ConfigError,
  createRng,
  linear,
  mergeIntoStateDict,
  tensor,
  type HostTensor,
} from '@vblora/core';
import { PEFT_GOLDEN_CASES } from '@vblora/conformance';
import {
  decodeOnnxModel,
  fromOrtTensor,
  mapGraphModules,
  runOnnxModel,
  toOrtTensor,
  toyLlamaDims,
  toyLlamaOnnx,
  writeOnnxModel,
} from '@vblora/onnx';
import { readGolden } from './fixtures/toy-models.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { expectClose, goldenAdapter, hasTies, modelTolerance } from './helpers/golden.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('toy-llama');
const LLAMA_CASES = PEFT_GOLDEN_CASES.filter((c) => c.startsWith('llama_'));

async function runY(model: Parameters<typeof runOnnxModel>[0], x: HostTensor): Promise<HostTensor> {
  return (await runOnnxModel(model, { x }, { sessionOptions: { intraOpNumThreads: 1 } })).get('y')!;
}

/** A seeded ToyLlama state dict of any size (U(−1/√in, 1/√in), like nn.Linear's default). */
function randomLlama(
  hidden: number,
  intermediate: number,
  layers: number,
  nOut: number,
  seed: number,
): Map<string, HostTensor> {
  const rng = createRng(seed);
  const sd = new Map<string, HostTensor>();
  const lin = (path: string, outF: number, inF: number, bias: boolean) => {
    const b = 1 / Math.sqrt(inF);
    sd.set(
      `${path}.weight`,
      tensor(
        'f32',
        [outF, inF],
        Float32Array.from({ length: outF * inF }, () => b * (2 * rng.uniform() - 1)),
      ),
    );
    if (bias)
      sd.set(
        `${path}.bias`,
        tensor(
          'f32',
          [outF],
          Float32Array.from({ length: outF }, () => b * (2 * rng.uniform() - 1)),
        ),
      );
  };
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    for (const m of ['q_proj', 'k_proj', 'v_proj']) lin(`${p}.self_attn.${m}`, hidden, hidden, true);
    lin(`${p}.self_attn.o_proj`, hidden, hidden, false);
    lin(`${p}.mlp.up_proj`, intermediate, hidden, true);
    lin(`${p}.mlp.down_proj`, hidden, intermediate, false);
  }
  lin('head', nOut, hidden, true);
  return sd;
}

// Accuracy: F32_MODEL (2e-6 + 1e-5·|e|) for the float32 cases — onnxruntime's matmuls sum in another order than
// torch's; measured ≤ 4.8e-7 (base), ≤ 6.6e-7 (merged, vs output.merged and output.adapter). BF16_MODEL
// (2e-2 + 2e-2·|e|) for the bf16 case, where one flipped bf16 rounding propagates: measured 7.8e-3, one bf16 ulp.
describe('toyLlamaOnnx reproduces PEFT’s ToyLlama', () => {
  for (const c of LLAMA_CASES) {
    for (const style of ['torch', 'named'] as const) {
      it(`${c} (${style}): base output, and the PEFT-merged state dict's output`, async () => {
        const base = readGolden(c, 'base.safetensors');
        const e = readGolden(c, 'expected.safetensors');
        const x = e.get('input.x')!;
        expect(toyLlamaDims(base)).toEqual({ hidden: 64, intermediate: 128, layers: 2, nOut: 32 });
        const tol = modelTolerance(c);
        expectClose(await runY(toyLlamaOnnx(base, { style }), x), e.get('output.base')!, tol, `${c} base`);

        expect(hasTies(c)).toBe(false); // otherwise torch's pick among tied logits is implementation-defined
        const merged = await mergeIntoStateDict(await goldenAdapter(c), base);
        const y = await runY(toyLlamaOnnx(merged, { style }), x);
        expectClose(y, e.get('output.merged')!, tol, `${c} merged`);
        expectClose(y, e.get('output.adapter')!, tol, `${c} merged vs the unmerged adapter forward`);
      });
    }
  }
});

describe('toyLlamaOnnx sizes and errors', () => {
  it('infers any size from the state dict; with o_proj and down_proj zero, y = head(x)', async () => {
    const sd = randomLlama(16, 24, 3, 5, 41);
    expect(toyLlamaDims(sd)).toEqual({ hidden: 16, intermediate: 24, layers: 3, nOut: 5 });
    const model = toyLlamaOnnx(sd);
    expect(mapGraphModules(model).modules).toHaveLength(3 * 6 + 1);
    expect(model.ownsBytes).toBe(false);
    const rng = createRng(42);
    const x = tensor(
      'f32',
      [2, 3, 16],
      Float32Array.from({ length: 96 }, () => rng.normal()),
    );
    expect((await runY(model, x)).shape).toEqual([2, 3, 5]);

    for (let i = 0; i < 3; i++) {
      for (const k of [`model.layers.${i}.self_attn.o_proj.weight`, `model.layers.${i}.mlp.down_proj.weight`]) {
        const w = sd.get(k)!;
        sd.set(k, tensor('f32', w.shape, new Float32Array(w.data.length)));
      }
    }
    const want = linear({
      x,
      weight: sd.get('head.weight')! as HostTensor<'f32'>,
      bias: sd.get('head.bias')! as HostTensor<'f32'>,
    });
    // one matmul of 16 terms plus a bias: a few float32 ulps
    expectClose(await runY(toyLlamaOnnx(sd, { style: 'named' }), x), want, { atol: 1e-6, rtol: 1e-6 }, 'head only');
  });

  it('names a missing tensor and refuses non-float weights', () => {
    const sd = randomLlama(8, 8, 1, 2, 43);
    sd.delete('model.layers.0.self_attn.k_proj.bias');
    expect(() => toyLlamaOnnx(sd)).toThrow(AdapterError);
    expect(() => toyLlamaOnnx(sd)).toThrow(/model\.layers\.0\.self_attn\.k_proj\.bias/);
    expect(() => toyLlamaDims(new Map())).toThrow(/model\.layers\.0\.self_attn\.q_proj\.weight/);
    const ints = randomLlama(8, 8, 1, 2, 44);
    ints.set('model.layers.0.self_attn.q_proj.weight', tensor('i32', [8, 8], new Int32Array(64)));
    expect(() => toyLlamaOnnx(ints)).toThrow(/float32 or bfloat16/);
  });

  it.skipIf(!CHECKER)('writes models the ONNX checker accepts (full_check)', () => {
    const paths = (['torch', 'named'] as const).map((style) => {
      const p = join(dir, `toy-llama-${style}.onnx`);
      writeFileSync(
        p,
        toyLlamaOnnx(readGolden('llama_bf16_vl16_nv256_top2_layer1_bias', 'base.safetensors'), { style }).bytes,
      );
      return p;
    });
    checkOnnxFiles(paths);
  });
});

describe('host tensors on onnxruntime', () => {
  it('round-trips f32, f16, i32 and i64 without copying, and widens bf16 to float32', () => {
    const f32 = tensor('f32', [2], Float32Array.of(1.5, -2));
    expect(fromOrtTensor(toOrtTensor(f32)).data).toBe(f32.data);
    for (const t of [
      tensor('f16', [1], Uint16Array.of(0x3c00)),
      tensor('i32', [2], Int32Array.of(3, -4)),
      tensor('i64', [1], BigInt64Array.of(5n)),
    ]) {
      const back = fromOrtTensor(toOrtTensor(t));
      expect(back.dtype).toBe(t.dtype);
      expect(back.data).toBe(t.data);
    }
    const bf = toOrtTensor(tensor('bf16', [1], Uint16Array.of(0x3fc0)));
    expect([bf.type, ...(bf.data as Float32Array)]).toEqual(['float32', 1.5]);
  });

  it('runOnnxModel refuses a decoded model whose tensors live in external data files', async () => {
    const path = join(dir, 'external.onnx');
    await writeOnnxModel(toyLlamaOnnx(randomLlama(16, 16, 1, 4, 45)), path, { externalData: { threshold: 0 } });
    const model = decodeOnnxModel(new Uint8Array(readFileSync(path)));
    await expect(runOnnxModel(model, {})).rejects.toThrow(ConfigError);
  });
});
