/**
 * The `static` variant: one adapter built into the model as initializers, so the model keeps exactly its own inputs
 * (transformers.js feeds only the inputs it knows): each adapted layer outputs PEFT's forward; trained biases and
 * modules_to_save copies replace their base tensors; the metadata says what was built in; hot-swap runtimes refuse
 * the model.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createRng,
  f32ToF16Bits,
  tensor,
  toF32,
  UnsupportedError,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import {
  AdapterSession,
  decodeOnnxModel,
  encodeOnnxModel,
  injectAdapterInputs,
  injectOnnxFile,
  OnnxModelError,
  prepareAdapter,
  readInjectionInfo,
  readOnnxModel,
  readTensorData,
  stackFeeds,
  writeOnnxModel,
} from '@vblora/onnx';
import { ADAPTED, checkBranch } from './helpers/branch-checks.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { buildDecoder, decoderFeeds, decoderWeights, TINY, type DecoderVariant } from './helpers/decoder-graphs.js';
import { addProbes, decoderAdapter, expectedOutput, pairsOf, runHost } from './helpers/decoder-runs.js';
import { tempDir } from './helpers/tmp.js';

const weights = decoderWeights();
const adapter = decoderAdapter(weights, ADAPTED, 31, 'fr');
const dir = tempDir('inject-static');

/** The adapter plus a trained q_proj bias and a modules_to_save copy of lm_head (PEFT's checkpoint keys). */
function withExtras(a: VBLoRAAdapter): VBLoRAAdapter {
  const rng = createRng(5);
  const bias = tensor(
    'f32',
    [64],
    Float32Array.from({ length: 64 }, () => Math.fround(rng.normal())),
  );
  const head = tensor(
    'f32',
    [48, 64],
    Float32Array.from({ length: 48 * 64 }, () => Math.fround(rng.normal() * 0.1)),
  );
  return {
    ...a,
    extraTensors: new Map<string, HostTensor>([
      ['base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias', bias],
      ['base_model.model.lm_head.weight', head],
    ]),
  };
}

async function staticModel(variant: DecoderVariant, a: VBLoRAAdapter = adapter) {
  const built = buildDecoder(weights, variant);
  const inj = await injectAdapterInputs(decodeOnnxModel(built.bytes), { adapter: a, variant: 'static' });
  return { built, inj };
}

describe("variant 'static': the adapter built in", () => {
  for (const variant of ['fp32', 'fp16', 'q4', 'q4f16', 'int8', 'int8-fused'] as const) {
    it(`${variant}: the model's own inputs only; each adapted layer outputs PEFT's forward`, async () => {
      const { built, inj } = await staticModel(variant);
      const graph = inj.model.proto.graph!;
      expect(graph.input!.map((i) => i.name)).toEqual(built.model.graph!.input!.map((i) => i.name));
      expect(graph.output!.map((o) => o.name)).toEqual(built.model.graph!.output!.map((o) => o.name));
      const probes = addProbes(inj.model, decodeOnnxModel(built.bytes), ADAPTED);
      const out = await runHost(encodeOnnxModel(inj.model.proto), decoderFeeds(TINY, built.act, 2, 3, 4));
      const pairs = await pairsOf(adapter);
      for (const p of probes) {
        const pair = pairs.get(p.layer.path!)!;
        const want = expectedOutput(out[p.x]!, out[p.base]!, [pair]);
        checkBranch(out[p.y]!, want, out[p.base]!, out[p.x]!, [pair], `${variant} ${p.layer.path}`);
      }
    });
  }

  it('metadata: variant static, no inputs, the A/B initializers (bit for bit the composed adapter), the adapter name', async () => {
    const { inj } = await staticModel('q4');
    const info = readInjectionInfo(inj.model.proto)!;
    expect(info).toMatchObject({
      variant: 'static',
      rowAdapterInput: null,
      bankInput: null,
      overrides: [],
      static: { adapter: 'fr', r: 4, replaced: [] },
    });
    expect(inj.info).toEqual(info);
    const pairs = await pairsOf(adapter);
    const inits = new Map(inj.model.proto.graph!.initializer!.map((t) => [t.name!, t]));
    for (const m of info.modules) {
      expect(m.uses).toBe(1);
      const { A, B } = m.inputs as { A: string; B: string };
      const pair = pairs.get(m.path)!;
      expect(await readTensorData(inj.model, inits.get(A)!)).toEqual(pair.A);
      expect(await readTensorData(inj.model, inits.get(B)!)).toEqual(pair.B);
    }
  });

  it("trained biases and modules_to_save copies replace their base tensors, cast to the model's dtype", async () => {
    const a = withExtras(adapter);
    for (const variant of ['fp32', 'fp16'] as const) {
      const { inj } = await staticModel(variant, a);
      expect(inj.info.static!.replaced).toEqual(['model.layers.0.self_attn.q_proj.bias', 'lm_head.weight']);
      const inits = new Map(inj.model.proto.graph!.initializer!.map((t) => [t.name!, t]));
      const bias = toF32(await readTensorData(inj.model, inits.get('model.layers.0.self_attn.q_proj.bias')!));
      const newBias = a.extraTensors.get('base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias')!;
      expect(bias.data).toEqual(toF32(variant === 'fp32' ? newBias : castF16(newBias)).data);
      const head = inj.model.proto.graph!.node!.find((n) => n.output?.[0] === 'logits/vblora_base')!;
      const w = toF32(await readTensorData(inj.model, inits.get(head.input![1]!)!)); // stored (in, out): the transpose
      const newHead = toF32(a.extraTensors.get('base_model.model.lm_head.weight')!);
      const want = variant === 'fp32' ? newHead : toF32(castF16(newHead));
      expect(w.data[3 * 48 + 5]).toBe(want.data[5 * 64 + 3]);
    }
    await expect(staticModel('q4', a)).rejects.toThrow(UnsupportedError); // lm_head.weight is 4-bit packed there
  });

  it('hot-swap runtimes refuse a static model; static needs an adapter; malformed static metadata is refused', async () => {
    const { inj } = await staticModel('fp32');
    await expect(AdapterSession.create(inj.model)).rejects.toThrow(OnnxModelError);
    await expect(AdapterSession.create(inj.model)).rejects.toThrow(/built in \(static variant\)/);
    await expect(prepareAdapter(inj.info, 'fr', adapter)).rejects.toThrow(UnsupportedError);
    expect(() => stackFeeds(inj.info, [null])).toThrow(UnsupportedError);
    await expect(
      injectAdapterInputs(decodeOnnxModel(buildDecoder(weights, 'fp32').bytes), {
        variant: 'static',
        modules: ADAPTED,
      }),
    ).rejects.toThrow(ConfigError);
    const bad = (info: object) => ({ metadataProps: [{ key: 'vblora.injection', value: JSON.stringify(info) }] });
    expect(() => readInjectionInfo(bad({ ...inj.info, rowAdapterInput: 'vblora.row_adapter' }))).toThrow(
      OnnxModelError,
    );
    expect(() => readInjectionInfo(bad({ ...inj.info, static: undefined }))).toThrow(/static: not a static adapter/);
    expect(() => readInjectionInfo(bad({ ...inj.info, variant: 'lowrank', rowAdapterInput: 'r' }))).toThrow(
      /static: only for the static variant/,
    );
  });

  it('external data: a q4 folder model with model.onnx_data injected from disk runs like the inline one', async () => {
    const base = join(dir, 'model_q4.onnx');
    await writeOnnxModel(decodeOnnxModel(buildDecoder(weights, 'q4').bytes), base, {
      externalData: { location: 'model_q4.onnx_data', threshold: 256 },
    });
    const out = join(dir, 'model_q4.vblora.onnx');
    const report = await injectOnnxFile(base, out, { adapter, variant: 'static' });
    expect(report.dataPath).not.toBeNull();
    expect(report.info.variant).toBe('static');
    const reread = await readOnnxModel(out);
    expect(readInjectionInfo(reread.proto)!.static!.adapter).toBe('fr');
    const feeds = decoderFeeds(TINY, 'f32', 2, 3, 4);
    const fromDisk = await runHost(out, feeds);
    const inline = await runHost(encodeOnnxModel((await staticModel('q4')).inj.model.proto), feeds);
    for (const k of Object.keys(inline)) expect(fromDisk[k]!.data, k).toEqual(inline[k]!.data);
  });

  it.skipIf(!CHECKER)('static models pass onnx.checker (full_check)', async () => {
    const paths: string[] = [];
    for (const variant of ['fp16', 'q4', 'int8'] as const) {
      const path = join(dir, `static_${variant}.onnx`);
      await writeOnnxModel(
        (await staticModel(variant, variant === 'fp16' ? withExtras(adapter) : adapter)).inj.model,
        path,
      );
      paths.push(path);
    }
    checkOnnxFiles(paths);
  });
});

function castF16(t: HostTensor): HostTensor {
  return { dtype: 'f16', shape: t.shape, data: Uint16Array.from(toF32(t).data, (v) => f32ToF16Bits(v)) };
}
