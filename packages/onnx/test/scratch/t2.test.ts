import { it, expect } from 'vitest';
import { compareTensors, formatMismatch } from '@vblora/core';
import { PEFT_GOLDEN_CASES } from '@vblora/conformance';
import { readGolden, toyModelBytes } from '../fixtures/toy-models.js';
import { runToy } from '../helpers/ort.js';
for (const c of PEFT_GOLDEN_CASES) for (const style of ['torch', 'named'] as const) {
it(`${c} ${style}`, async () => {
  const e = readGolden(c, 'expected.safetensors');
  const y = await runToy(toyModelBytes(c, { style }), e.get('input.x')!);
  const r = compareTensors(y, e.get('output.base')!, { atol: 0, rtol: 0 });
  console.log(c, style, r.maxAbs, r.maxUlps, r.mismatches, r.count);
});
}
