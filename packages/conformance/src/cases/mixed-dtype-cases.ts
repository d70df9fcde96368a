/**
 * Mixed dtypes: the layer input, the base output, the weight and the bias in different float dtypes. PEFT returns
 * the input's dtype (SPEC §4.3: `result.to(x.dtype)`), whatever the base layer's; expected values are the reference
 * kernels'.
 * @module
 */
import type { ConformanceCase } from '../case.js';
import { floats, normal, rngFor } from './random-inputs.js';
import { referenceCase } from './reference-case.js';

type Float = 'f32' | 'bf16' | 'f16';

const FORWARD: readonly [Float, Float][] = [
  // x, baseOut
  ['f32', 'bf16'],
  ['bf16', 'f32'],
  ['f16', 'bf16'],
  ['bf16', 'f16'],
  ['f32', 'f16'],
];

const LINEAR: readonly [Float, Float, Float | undefined][] = [
  // x, weight, bias
  ['f32', 'bf16', 'f16'],
  ['bf16', 'f32', 'f32'],
  ['f16', 'bf16', undefined],
];

/** Every mixed-dtype case. */
export function mixedDTypeCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  FORWARD.forEach(([xd, bd], i) => {
    const seed = 1000 + i;
    const tag = `rand-s${seed}-x-${xd}-base-${bd}`;
    const inputs = () => {
      const rng = rngFor(seed);
      return {
        x: floats(rng, [2, 3, 12], xd),
        baseOut: floats(rng, [2, 3, 8], bd),
        A: normal(rng, [4, 12], 0.2),
        B: normal(rng, [8, 4], 0.2),
      };
    };
    cases.push(
      referenceCase('adapterForward', tag, `x ${xd} with a ${bd} base output: y in x's dtype (${xd})`, inputs),
      referenceCase('mixedBatchForward', tag, `x ${xd} with a ${bd} base output: y in ${xd}`, () => {
        const a = inputs();
        const n = 6;
        const rng = rngFor(seed + 50);
        return {
          x: floats(rng, [n, 12], xd),
          baseOut: floats(rng, [n, 8], bd),
          adapters: [
            { A: a.A, B: a.B },
            { A: normal(rng, [2, 12], 0.2), B: normal(rng, [8, 2], 0.2) },
          ],
          rowAdapter: Int32Array.from({ length: n }, (_, j) => (j % 3) - 1),
        };
      }),
    );
  });
  LINEAR.forEach(([xd, wd, bd], i) => {
    const seed = 1010 + i;
    const tag = `rand-s${seed}-x-${xd}-weight-${wd}${bd === undefined ? '' : `-bias-${bd}`}`;
    cases.push(
      referenceCase('linear', tag, `x ${xd}, weight ${wd}${bd === undefined ? '' : `, bias ${bd}`}: y in ${xd}`, () => {
        const rng = rngFor(seed);
        const x = floats(rng, [3, 8], xd);
        const weight = floats(rng, [6, 8], wd, 0.3);
        return bd === undefined ? { x, weight } : { x, weight, bias: floats(rng, [6], bd, 0.1) };
      }),
    );
  });
  return cases;
}
