/**
 * Inject mode on an Optimum-style decoder in every dtype variant transformers.js loads (fp32, fp16, q4 and q4f16
 * MatMulNBits, int8 MatMulInteger with uint8 or int8 weights, DynamicQuantizeMatMul): the branch sits beside each
 * adapted layer, the quantized base op untouched, and each layer's output is PEFT's forward on the values
 * onnxruntime saw (probes), per batch row.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  f16BitsToF32,
  f32ToF16Bits,
  linear,
  tensor,
  toF32,
  type HostTensor,
  type LowRankPair,
  type Tolerance,
} from '@vblora/core';
import {
  AdapterSession,
  decodeOnnxModel,
  encodeOnnxModel,
  GraphBuilder,
  injectAdapterInputs,
  mapGraphModules,
  toOrtTensor,
  type InjectVariant,
} from '@vblora/onnx';
import {
  buildDecoder,
  decoderFeeds,
  decoderWeights,
  DECODER_VARIANTS,
  TINY,
  type DecoderVariant,
} from './helpers/decoder-graphs.js';
import {
  addProbes,
  baseOpNodes,
  decoderAdapter,
  expectedOutput,
  maxAbs,
  pairsOf,
  runHost,
  type Probe,
} from './helpers/decoder-runs.js';
import { expectClose } from './helpers/golden.js';
import { ADAPTED, checkBranch, noAdapterF16, ulp16 } from './helpers/branch-checks.js';

const weights = decoderWeights();
const adapterA = decoderAdapter(weights, ADAPTED, 11, 'a');
const adapterB = decoderAdapter(weights, ADAPTED, 12, 'b', 2); // another rank: padded in mixed runs

const sessions: AdapterSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function injected(variant: DecoderVariant, v: InjectVariant) {
  const built = buildDecoder(weights, variant);
  const base = decodeOnnxModel(built.bytes);
  const inj = await injectAdapterInputs(decodeOnnxModel(built.bytes), { adapter: adapterA, variant: v });
  const probes = addProbes(inj.model, base, ADAPTED);
  const session = await AdapterSession.create(inj.model);
  sessions.push(session);
  await session.loadAdapter('a', adapterA);
  await session.loadAdapter('b', adapterB);
  return { built, base, inj, probes, session };
}

function checkProbes(
  variant: DecoderVariant,
  out: Record<string, HostTensor>,
  probes: readonly Probe[],
  rows: readonly (LowRankPair | null)[][],
): number {
  let worst = 0;
  for (const [i, p] of probes.entries()) {
    const x = out[p.x]!;
    const base = out[p.base]!;
    const want = expectedOutput(x, base, rows[i]!);
    worst = Math.max(worst, checkBranch(out[p.y]!, want, base, x, rows[i]!, `${variant} ${p.layer.path}`));
  }
  return worst;
}

describe('onnxruntime CPU float16 arithmetic (why float16 checks allow half an ulp of the base output and of x)', () => {
  it('a Cast to float32 feeding a float32 op reads a float16 Add before its rounding; the graph output is rounded', async () => {
    const g = new GraphBuilder('f/');
    g.input('x', 'f16', [4]);
    g.init(
      'c',
      tensor(
        'f16',
        [4],
        Uint16Array.from([0.1, 0.113, 0.126, 0.139], (v) => f32ToF16Bits(v)),
      ),
    );
    g.op('Add', ['x', 'c'], {}, { outputs: ['s'] });
    g.op('Identity', ['s'], {}, { outputs: ['sum'] });
    g.op('Mul', [g.op1('Cast', ['s'], { to: { i: 1 } }), g.float32([1])], {}, { outputs: ['wide'] }); // as the branch reads it
    g.output('sum', 'f16');
    g.output('wide', 'f32');
    const x = tensor(
      'f16',
      [4],
      Uint16Array.from([0.3331, 1.777, -2.123, 0.0071], (v) => f32ToF16Bits(v)),
    );
    const out = await runHost(encodeOnnxModel(g.model()), { x });
    const rounded = Array.from(toF32(out['sum']!).data);
    const wide = Array.from(toF32(out['wide']!).data);
    expect(wide).not.toEqual(rounded); // by ONNX semantics they would be equal
    wide.forEach((w, i) => expect(Math.abs(w - rounded[i]!)).toBeLessThanOrEqual(ulp16(rounded[i]!) / 2));
  });
});

const fromSession = (
  o: Record<string, { type: string; dims: readonly number[]; data: unknown }>,
): Record<string, HostTensor> =>
  Object.fromEntries(
    Object.entries(o).map(([k, t]) => [
      k,
      t.type === 'float16'
        ? tensor('f16', t.dims, t.data as Uint16Array)
        : tensor('f32', t.dims, t.data as Float32Array),
    ]),
  );

describe('inject beside every variant of a decoder', () => {
  for (const variant of DECODER_VARIANTS) {
    it(`${variant}: each adapted layer outputs PEFT's forward on what onnxruntime saw; base ops untouched`, async () => {
      const { built, base, inj, probes, session } = await injected(variant, 'lowrank');
      const pairsA = await pairsOf(adapterA);
      const pairsB = await pairsOf(adapterB);
      expect(probes.map((p) => p.layer.path)).toEqual(ADAPTED);
      const feeds = decoderFeeds(TINY, built.act, 3, 2, 4);
      const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrtTensor(v)]));

      // one adapter for the batch, then a different adapter (or none) per row
      const one = fromSession(await session.run(ortFeeds, { adapter: 'a' }));
      checkProbes(
        variant,
        one,
        probes,
        probes.map((p) => [pairsA.get(p.layer.path!)!]),
      );
      const mixed = fromSession(await session.run(ortFeeds, { rows: ['b', null, 'a'] }));
      checkProbes(
        variant,
        mixed,
        probes,
        probes.map((p) => [pairsB.get(p.layer.path!)!, null, pairsA.get(p.layer.path!)!]),
      );

      // no adapter: the base model's outputs (its quantized ops see the very same activations)
      const none = fromSession(await session.run(ortFeeds));
      const plain = await runHost(built.bytes, feeds);
      for (const name of Object.keys(plain)) {
        if (built.act === 'f32') expect(none[name]!.data, `${variant} ${name}`).toEqual(plain[name]!.data);
        else expectClose(none[name]!, plain[name]!, noAdapterF16(plain[name]!), `${variant} ${name}`);
      }

      // the base ops are the original nodes, and the branch reads the float activation (for int8: before DynamicQuantizeLinear)
      for (const l of mapGraphModules(base).layers) {
        expect(
          baseOpNodes(inj.model.proto, l).map((n) => ({ ...n, output: [] })),
          l.node,
        ).toEqual(baseOpNodes(base.proto, l).map((n) => ({ ...n, output: [] })));
      }
      const q = probes[0]!.layer;
      const branchReaders = inj.model.proto.graph!.node!.filter(
        (n) => n.name?.startsWith('vblora/') && n.input?.includes(q.input),
      );
      expect(branchReaders.length).toBeGreaterThan(0);
      const count = (nodes: readonly { opType?: string | null }[]) =>
        nodes.filter((n) => n.opType === 'DynamicQuantizeLinear').length;
      expect(count(inj.model.proto.graph!.node!)).toBe(count(base.proto.graph!.node!));
    });
  }

  for (const variant of DECODER_VARIANTS) {
    it(`${variant}: the base output the branch adds to is the layer of the weights the graph holds`, async () => {
      const { built, probes, session } = await injected(variant, 'topk');
      const feeds = decoderFeeds(TINY, built.act, 2, 3, 4);
      const out = fromSession(
        await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrtTensor(v)])), {
          adapter: 'a',
        }),
      );
      for (const p of probes) {
        const x = toF32(out[p.x]!);
        const got = toF32(out[p.base]!);
        const { bias, inF, outF } = weights.linear.get(p.layer.path!)!;
        const applied = built.applied.get(p.layer.path!)!;
        const b =
          bias === null || built.act === 'f32' ? bias : Float32Array.from(bias, (v) => f16BitsToF32(f32ToF16Bits(v)));
        const ref = linear({
          x: x as HostTensor<'f32'>,
          weight: tensor('f32', [outF, inF], applied),
          ...(b === null ? {} : { bias: tensor('f32', [outF], b) }),
        });
        expect(ref.shape).toEqual(got.shape);
        const tol = baseTolerance(variant, x, applied, outF, inF, ref);
        expectClose(got, ref, tol, `${variant} base ${p.layer.path}`);
      }
    });
  }
});

/**
 * How close onnxruntime's base layer is to x·W'ᵀ + b, W' the weights the graph holds (dequantized, or float16):
 * fp32 and q4 (MatMulNBits dequantizes to float32 and multiplies): summation order only, atol 2e-6 + rtol 1e-5.
 * int8: x is quantized per tensor with step s = (max(x, 0) − min(x, 0)) / 255, so an output may move by up to
 * s·Σ|W'[o, :]| (worst row), plus float32 slack. fp16 and q4f16: onnxruntime keeps x in float32 inside (see above)
 * while the probe is rounded to float16, so an output may move by up to ulp₁₆(max|x|)·Σ|W'[o, :]|, plus two float16
 * ulps of the output for the roundings of the product and the bias Add.
 */
function baseTolerance(
  variant: DecoderVariant,
  x: HostTensor<'f32'>,
  w: Float32Array,
  outF: number,
  inF: number,
  ref: HostTensor,
): Tolerance {
  if (variant === 'fp32' || variant === 'q4' || variant === 'q4-sym') return { atol: 2e-6, rtol: 1e-5 };
  let rowSum = 0;
  for (let o = 0; o < outF; o++) {
    let a = 0;
    for (let c = 0; c < inF; c++) a += Math.abs(w[o * inF + c]!);
    rowSum = Math.max(rowSum, a);
  }
  if (variant === 'fp16' || variant === 'q4f16')
    return { atol: ulp16(maxAbs(x)) * rowSum + 2 * ulp16(maxAbs(ref)), rtol: 0 };
  let lo = 0;
  let hi = 0;
  for (const v of x.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return { atol: ((hi - lo) / 255) * rowSum + 1e-5, rtol: 1e-5 };
}
