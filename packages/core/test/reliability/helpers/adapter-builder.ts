import fc from 'fast-check';
import {
  adapterToFiles,
  createConfig,
  createRng,
  fromF32,
  readSafetensors,
  tensor,
  toTopkAdapter,
  writeSafetensors,
  type AdapterFloatDType,
  type AdapterModule,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';

/** The knobs of one generated adapter: small sizes, both flavours, every adapter dtype. */
export interface AdapterSpec {
  readonly nv: number;
  readonly vl: number;
  readonly r: number;
  readonly k: number;
  readonly flavour: 'full' | 'topk';
  readonly dtype: AdapterFloatDType;
  /** `[inTiles, outTiles]` per module: in_features = inTiles·vl. */
  readonly tiles: readonly (readonly [number, number])[];
  readonly withBias: boolean;
  readonly seed: number;
}

/** A generated adapter as its two files, unpacked so one defect can be applied before they are written. */
export interface AdapterParts {
  readonly spec: AdapterSpec;
  /** `adapter_config.json` as a plain JSON object. */
  config: Record<string, unknown>;
  /** `adapter_model.safetensors` tensors (own copies: safe to mutate). */
  readonly tensors: Map<string, HostTensor>;
  /** Module paths in file order. */
  readonly paths: readonly string[];
}

/** Fast-check arbitrary of adapter specs. */
export const adapterSpecArb: fc.Arbitrary<AdapterSpec> = fc
  .record({
    nv: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.constantFrom(255, 256, 300)),
    vl: fc.integer({ min: 1, max: 6 }),
    r: fc.integer({ min: 1, max: 3 }),
    kPick: fc.nat(5),
    flavour: fc.constantFrom('full', 'topk') as fc.Arbitrary<'full' | 'topk'>,
    dtype: fc.constantFrom('f32', 'f32', 'bf16', 'f16') as fc.Arbitrary<AdapterFloatDType>,
    tiles: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), {
      minLength: 1,
      maxLength: 3,
    }),
    withBias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ kPick, ...s }) => ({ ...s, k: Math.min(s.nv, 1 + kPick) }));

/** Module path of the i-th generated module (PEFT's path without `base_model.model.`). */
export const modulePath = (i: number): string => `model.layers.${i}.self_attn.q_proj`;

/** Builds a valid adapter for `spec` with our own writer (the files PEFT would accept). */
export function buildAdapter(spec: AdapterSpec): VBLoRAAdapter {
  const rng = createRng(spec.seed);
  const values = (n: number, scale: number): Float32Array =>
    Float32Array.from({ length: n }, () => rng.normal() * scale);
  const cast = (shape: number[], data: Float32Array): HostTensor<AdapterFloatDType> => {
    const t = tensor('f32', shape, data);
    return spec.dtype === 'f32' ? t : fromF32(t, spec.dtype);
  };
  const modules = new Map<string, AdapterModule>();
  spec.tiles.forEach(([inT, outT], i) => {
    const path = modulePath(i);
    modules.set(path, {
      path,
      inFeatures: inT * spec.vl,
      outFeatures: outT * spec.vl,
      a: { kind: 'logits', logits: cast([spec.r, inT, spec.nv], values(spec.r * inT * spec.nv, 2)) },
      b: { kind: 'logits', logits: cast([outT, spec.r, spec.nv], values(outT * spec.r * spec.nv, 2)) },
    });
  });
  const extraTensors = new Map<string, HostTensor>();
  if (spec.withBias) {
    const [, outT] = spec.tiles[0]!;
    extraTensors.set(
      `base_model.model.${modulePath(0)}.base_layer.bias`,
      cast([outT * spec.vl], values(outT * spec.vl, 1)),
    );
  }
  const config = createConfig({
    r: spec.r,
    num_vectors: spec.nv,
    vector_length: spec.vl,
    topk: spec.k,
    target_modules: ['q_proj'],
    bias: spec.withBias ? 'vblora_only' : 'none',
  });
  const bank = cast([spec.nv, spec.vl], values(spec.nv * spec.vl, 0.05));
  const full: VBLoRAAdapter = { name: 'default', config, bank, modules, extraTensors, metadata: { format: 'pt' } };
  return spec.flavour === 'full' ? full : toTopkAdapter(full).adapter;
}

/** The generated adapter's files, unpacked for mutation. */
export function adapterParts(spec: AdapterSpec): AdapterParts {
  const files = adapterToFiles(buildAdapter(spec));
  const { tensors } = readSafetensors(files.weights, { copy: true });
  return {
    spec,
    config: JSON.parse(files.config) as Record<string, unknown>,
    tensors,
    paths: spec.tiles.map((_, i) => modulePath(i)),
  };
}

/** Packs (possibly defective) parts back into the two files, through the real writer. */
export function packParts(parts: AdapterParts): { config: string; weights: Uint8Array } {
  return { config: JSON.stringify(parts.config, null, 2), weights: writeSafetensors(parts.tensors, { format: 'pt' }) };
}
