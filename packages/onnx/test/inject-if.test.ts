/**
 * Inject mode on an older Optimum merged decoder: one top-level `If(use_cache_branch)` whose then/else branches
 * each hold the whole decoder, reading the top-level weights through outer scope. Both branches get the VB-LoRA
 * branch, reading the adapter inputs (or the static A/B) of the top-level graph through outer scope; each If branch
 * then computes exactly what the flat decoder (with past, or with an empty past) computes.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostTensor } from '@vblora/core';
import {
  AdapterSession,
  decodeOnnxModel,
  encodeOnnxModel,
  freeNames,
  injectAdapterInputs,
  mapGraphModules,
  readInjectionInfo,
  toOrtTensor,
  writeOnnxModel,
  type InjectVariant,
  type onnx,
} from '@vblora/onnx';
import { ADAPTED } from './helpers/branch-checks.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { buildDecoder, decoderFeeds, decoderWeights, TINY, type DecoderVariant } from './helpers/decoder-graphs.js';
import { decoderAdapter, runHost } from './helpers/decoder-runs.js';
import { tempDir } from './helpers/tmp.js';

const weights = decoderWeights();
const adapterA = decoderAdapter(weights, ADAPTED, 21, 'a');
const adapterB = decoderAdapter(weights, ADAPTED, 22, 'b', 2);
const dir = tempDir('inject-if');
const sessions: AdapterSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function session(
  variant: DecoderVariant,
  merged: boolean,
  v: InjectVariant,
  weightsInBranches = false,
): Promise<AdapterSession> {
  const built = buildDecoder(weights, variant, { merged, weightsInBranches });
  const inj = await injectAdapterInputs(decodeOnnxModel(built.bytes), { adapter: adapterA, variant: v });
  const s = await AdapterSession.create(inj.model);
  sessions.push(s);
  await s.loadAdapter('a', adapterA);
  await s.loadAdapter('b', adapterB);
  return s;
}

const ortFeeds = (feeds: Record<string, HostTensor>, cache: boolean | null): Record<string, ort.Tensor> => {
  const f = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrtTensor(v)]));
  if (cache !== null) f['use_cache_branch'] = new ort.Tensor('bool', [cache], [1]);
  return f;
};

const same = (a: ort.InferenceSession.ReturnType, b: ort.InferenceSession.ReturnType): void => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(b)) expect(a[k]!.data, k).toEqual(b[k]!.data);
};

describe('inject into both branches of a merged decoder', () => {
  for (const variant of ['fp32', 'q4', 'int8', 'fp16'] as const) {
    for (const v of ['lowrank', 'topk'] as const) {
      it(`${variant} ${v}: each If branch computes what the flat decoder computes, adapter per run or per row`, async () => {
        const merged = await session(variant, true, v);
        const flat = await session(variant, false, v);
        expect(merged.info.modules.map((m) => [m.path, m.uses])).toEqual(ADAPTED.map((p) => [p, 2]));
        expect(merged.inputNames).toEqual([
          'input_ids',
          ...[0, 1].flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]),
          'use_cache_branch',
        ]);
        const act = variant === 'fp16' ? 'f16' : 'f32';
        const withPast = decoderFeeds(TINY, act, 3, 2, 4);
        const noPast = decoderFeeds(TINY, act, 3, 2, 0);
        for (const run of [{ adapter: 'a' }, { rows: ['b', null, 'a'] }, {}] as const) {
          same(await merged.run(ortFeeds(withPast, true), run), await flat.run(ortFeeds(withPast, null), run));
          same(await merged.run(ortFeeds(noPast, false), run), await flat.run(ortFeeds(noPast, null), run));
        }
      });
    }
  }

  it('older layout, a copy of the weights in each branch: mapped per branch, injected in both', async () => {
    for (const variant of ['fp32', 'q4'] as const) {
      const built = buildDecoder(weights, variant, { merged: true, weightsInBranches: true });
      const m = mapGraphModules(decodeOnnxModel(built.bytes));
      const [then, other] = m.require('model.layers.0.mlp.down_proj');
      expect(m.index.initializers.size).toBe(0);
      expect(m.initializer(then!)).not.toBe(m.initializer(other!)); // each branch's own tensor
      const merged = await session(variant, true, 'lowrank', true);
      const flat = await session(variant, false, 'lowrank');
      const feeds = decoderFeeds(TINY, 'f32', 2, 3, 4);
      same(
        await merged.run(ortFeeds(feeds, true), { rows: ['a', 'b'] }),
        await flat.run(ortFeeds(feeds, null), { rows: ['a', 'b'] }),
      );
    }
  });

  it('static: both branches read the one built-in A/B from the top-level graph; the model keeps its own inputs', async () => {
    for (const variant of ['fp32', 'q4'] as const) {
      const [merged, flat] = await Promise.all(
        [true, false].map(async (m) =>
          injectAdapterInputs(decodeOnnxModel(buildDecoder(weights, variant, { merged: m }).bytes), {
            adapter: adapterA,
            variant: 'static',
          }),
        ),
      );
      const graph = merged!.model.proto.graph!;
      expect(graph.input!.map((i) => i.name)).toEqual(
        buildDecoder(weights, variant, { merged: true }).model.graph!.input!.map((i) => i.name),
      );
      expect(graph.initializer!.filter((t) => t.name!.startsWith('vblora.')).length).toBe(2 * ADAPTED.length); // once, not per branch
      const ifNode = graph.node!.find((n) => n.opType === 'If')!;
      for (const a of ifNode.attribute!) {
        const free = freeNames(a.g as onnx.IGraphProto);
        expect([...free].filter((n) => n.startsWith('vblora/s/')).length, a.name!).toBe(2 * ADAPTED.length); // Aᵀ and Bᵀ of each module
      }
      expect(readInjectionInfo(merged!.model.proto)!.modules.every((m) => m.uses === 2)).toBe(true);
      const feeds = decoderFeeds(TINY, 'f32', 2, 3, 4);
      const a = await runHost(encodeOnnxModel(merged!.model.proto), ortFeeds(feeds, true));
      const b = await runHost(encodeOnnxModel(flat!.model.proto), ortFeeds(feeds, null));
      for (const k of Object.keys(b)) expect(a[k]!.data, `${variant} ${k}`).toEqual(b[k]!.data);
    }
  });

  it.skipIf(!CHECKER)('the injected merged decoders pass onnx.checker (full_check)', async () => {
    const paths: string[] = [];
    for (const v of ['lowrank', 'topk', 'static'] as const) {
      for (const variant of ['fp32', 'int8'] as const) {
        const inj = await injectAdapterInputs(decodeOnnxModel(buildDecoder(weights, variant, { merged: true }).bytes), {
          adapter: adapterA,
          variant: v,
        });
        const path = join(dir, `merged_${variant}_${v}.onnx`);
        await writeOnnxModel(inj.model, path);
        paths.push(path);
      }
    }
    const old = await injectAdapterInputs(
      decodeOnnxModel(buildDecoder(weights, 'q4', { merged: true, weightsInBranches: true }).bytes),
      { adapter: adapterA },
    );
    await writeOnnxModel(old.model, join(dir, 'merged_q4_branch_weights.onnx'));
    checkOnnxFiles([...paths, join(dir, 'merged_q4_branch_weights.onnx')]);
  });
});
