/**
 * `stackFeeds` for a `lowrank` model: slot j of every stacked A/B is adapter j's factors, zero-padded to the run's
 * rank (a null slot all zeros); the stacked arrays are views of one array per run and never alias the prepared ones.
 */
import { describe, expect, it } from 'vitest';
import { prepareAdapter, stackFeeds, type PreparedAdapter } from '@vblora/onnx';
import { injectedDecoder, topkAdapter } from './store/store-fixture.js';

describe('stackFeeds (lowrank)', () => {
  it('pads each slot to the run rank, leaves null slots zero, and stacks into views of one array', async () => {
    const { info } = await injectedDecoder('lowrank');
    const a = await prepareAdapter(info, 'a', topkAdapter(11, 4));
    const b = await prepareAdapter(info, 'b', topkAdapter(12, 2)); // lower rank: padded
    const slots: (PreparedAdapter | null)[] = [a, null, b];
    const feeds = stackFeeds(info, slots);
    const r = 4;
    const buffers = new Set<ArrayBufferLike>();
    for (const m of info.modules) {
      if (!('A' in m.inputs)) continue;
      const A = feeds.get(m.inputs.A)!;
      const B = feeds.get(m.inputs.B)!;
      expect(A.dims).toEqual([3, r, m.inFeatures]);
      expect(B.dims).toEqual([3, m.outFeatures, r]);
      buffers.add(A.data.buffer).add(B.data.buffer);
      slots.forEach((s, j) => {
        const f = s?.lowRank.get(m.path);
        // tolerance: none — stacking copies floats, so each element is compared exactly
        for (let i = 0; i < r; i++) {
          for (let c = 0; c < m.inFeatures; c++) {
            const want = f !== undefined && i < s!.r ? f.A[i * m.inFeatures + c]! : 0;
            expect(A.data[(j * r + i) * m.inFeatures + c], `${m.path} A slot ${j} [${i},${c}]`).toBe(want);
          }
        }
        for (let o = 0; o < m.outFeatures; o++) {
          for (let i = 0; i < r; i++) {
            const want = f !== undefined && i < s!.r ? f.B[o * s!.r + i]! : 0;
            expect(B.data[(j * m.outFeatures + o) * r + i], `${m.path} B slot ${j} [${o},${i}]`).toBe(want);
          }
        }
      });
      for (const s of [a, b]) {
        const f = s.lowRank.get(m.path)!;
        expect(A.data.buffer === f.A.buffer || B.data.buffer === f.B.buffer, `${m.path}: aliases ${s.name}`).toBe(
          false,
        );
      }
    }
    expect(buffers.size).toBe(1);
  });

  it('feeds one adapter of the run rank from its own arrays (no copy)', async () => {
    const { info } = await injectedDecoder('lowrank');
    const a = await prepareAdapter(info, 'a', topkAdapter(11, 4));
    const feeds = stackFeeds(info, [a]);
    for (const m of info.modules) {
      if (!('A' in m.inputs)) continue;
      expect(feeds.get(m.inputs.A)!.data).toBe(a.lowRank.get(m.path)!.A);
      expect(feeds.get(m.inputs.B)!.data).toBe(a.lowRank.get(m.path)!.B);
    }
  });
});
