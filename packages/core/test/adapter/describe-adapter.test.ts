import { describe, expect, it } from 'vitest';
import { describeAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { readGoldenSummary } from '../helpers/golden-files.js';
import { GOLDEN_CASES, goldenPath } from '../helpers/golden-paths.js';

interface Savable {
  print: string;
}

describe('describeAdapter reproduces PEFT’s print_savable_parameters() lines from the adapter files', () => {
  for (const c of GOLDEN_CASES) {
    it(c, async () => {
      const summary = readGoldenSummary(c) as unknown as Record<string, Savable>;
      for (const flavour of ['adapter_full', 'adapter_topk'] as const) {
        const report = describeAdapter((await readAdapterDir(goldenPath(c, flavour))).adapter);
        expect(report.parameters.peftSavableFull).toBe(summary['savable_parameters_topk_False']!.print);
        expect(report.parameters.peftSavableTopk).toBe(summary['savable_parameters_topk_True']!.print);
      }
    });
  }
});
