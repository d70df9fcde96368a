/**
 * Whole-model parity tolerances: how far a backend's end-to-end model outputs (the toy models of the PEFT golden
 * cases, the demo's ToyLlama, tiny-llama's greedy logits) may lie from what PEFT recorded. Every backend's tests
 * import them from here; docs/conformance.md ("Whole-model tolerances") says why each value is what it is.
 *
 * These are not kernel tolerances (`F32_TOL` and friends in `@vblora/core` bound one kernel against the reference):
 * a whole model chains ~10 matmuls, softmaxes and roundings, each summed in the runtime's own order. Entries that
 * look alike stay separate on purpose: each was set from its own backend's measurements, and merging them would
 * loosen one backend's check or tighten another's beyond what was measured.
 * @module
 */
import type { Tolerance } from '@vblora/core';

/** Named whole-model tolerances, `|a − e| ≤ atol + rtol·|e|` element by element. */
export const WHOLE_MODEL_TOLERANCES = Object.freeze({
  /**
   * tf.js (cpu and wasm) toy models, float32 outputs (|e| ≤ 4) vs PEFT's `output.*`: matmul sums in tf.js's
   * order, top-k weights with torch's vectorised-exp ulps. Twice the largest error measured (6.0e-7, ≤ 2.5 ulps).
   */
  tfjsF32: { atol: 1.2e-6, rtol: 0 },
  /**
   * tf.js toy models, bf16 outputs: emulated bit for bit; one bf16 ulp where a last-bit float32 difference could
   * flip the final rounding (measured: 0 everywhere).
   */
  tfjsBf16: { atol: 0, rtol: 2 ** -8 },
  /**
   * onnxruntime toy models (merged, injected, or the base), float32 outputs of order 0.1–10 through ~10 matmuls
   * summed in onnxruntime's order: measured ≤ 6.6e-7 abs. Also `vblora merge --base model.onnx`.
   */
  onnxF32: { atol: 2e-6, rtol: 1e-5 },
  /**
   * onnxruntime toy models computing in bf16: one flipped bf16 rounding propagates through the layers (measured
   * 7.8e-3 on outputs of order 1, one bf16 ulp).
   */
  onnxBf16: { atol: 2e-2, rtol: 2e-2 },
  /**
   * WebGPU ToyLlama vs `output.base` / `output.adapter`: the kernels' float32 accuracy (core's `F32_TOL`), which
   * the whole model still meets (measured ≤ 5.4e-7 on Dawn/SwiftShader, outputs of order 1).
   */
  webgpuF32: { atol: 1e-6, rtol: 1e-5 },
  /**
   * `vblora demo`'s parity rows (tf.js, onnx inject and merge, WebGPU, vs the reference-merged forward): max abs
   * error below 1e-5 (measured 3.6e-7 to 5.4e-7, a ~20× margin, still ~4 orders below the adapter's own effect).
   */
  demoModel: { atol: 1e-5, rtol: 0 },
  /**
   * The playground's bf16 ToyLlama (run on tf.js, max abs error vs PEFT): 2 bf16 ulps at |y| < 2 (PEFT's largest
   * output is 1.77), 2·2⁻⁷; measured 0, tf.js reproduces torch's bf16 bits.
   */
  playgroundBf16: { atol: 1.5625e-2, rtol: 0 },
} as const satisfies Record<string, Tolerance>);

/** Name of one {@link WHOLE_MODEL_TOLERANCES} entry. */
export type WholeModelToleranceName = keyof typeof WHOLE_MODEL_TOLERANCES;

/** Weight formats of the tiny-llama folders that transformers.js generates with. */
export type GenerateDtype = 'fp32' | 'q4' | 'int8';

/**
 * transformers.js greedy generation on the tiny-llama folders: the largest |logit − PEFT's logit| allowed over a
 * run, per runtime and weight format (tokens are compared exactly). int8's DynamicQuantizeLinear makes a logit
 * jump where an activation crosses a rounding boundary (up to ~0.7 on this fixture), hence 1; WebGPU's shaders
 * use their own exp and sum order over the whole generation, hence 0.01.
 */
export const GENERATE_LOGIT_TOLERANCES = Object.freeze({
  /** onnxruntime-node (CPU). */
  node: { fp32: 1e-4, q4: 1e-4, int8: 1 },
  /** onnxruntime-web's wasm runtime in headless Chromium. */
  wasm: { fp32: 1e-4, q4: 1e-4, int8: 1 },
  /** onnxruntime-web's WebGPU runtime in headless Chromium. */
  webgpu: { fp32: 0.01, q4: 0.01, int8: 1 },
} as const satisfies Record<string, Readonly<Record<GenerateDtype, number>>>);
