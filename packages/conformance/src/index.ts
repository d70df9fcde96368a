/**
 * `@vblora/conformance`: the numerical-parity suite for vblora.js backends, and PEFT's golden fixtures.
 *
 * @example
 * ```ts
 * import { peftGoldenPath } from '@vblora/conformance';
 * const dir = peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk');
 * ```
 * @packageDocumentation
 */
export { PEFT_GOLDEN_CASES, PEFT_GOLDEN_DIR, peftGoldenPath, type PeftGoldenCase } from './fixtures.js';
