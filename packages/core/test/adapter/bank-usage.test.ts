import { describe, expect, it } from 'vitest';
import { bankUsage } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { goldenPath } from '../helpers/golden-paths.js';

describe('bankUsage', () => {
  it('counts every top-k selection once, the same from either checkpoint flavour', async () => {
    const full = bankUsage((await readAdapterDir(goldenPath('llama_f32_vl16_nv64_top2', 'adapter_full'))).adapter);
    const topk = bankUsage((await readAdapterDir(goldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk'))).adapter);
    // rows per module: r·in/vl + out/vl·r (r 4, vl 16); 8 attention projections 64→64, 2 up 64→128, 2 down 128→64
    const rows = 8 * (4 * 4 + 4 * 4) + 2 * (4 * 4 + 8 * 4) + 2 * (4 * 8 + 4 * 4);
    expect(full.total.reduce((a, b) => a + b, 0)).toBe(2 * rows);
    expect(Array.from(full.total)).toEqual(Array.from(topk.total));
    expect(full.counts).toHaveLength(12);
  });
});
