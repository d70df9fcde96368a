import { createCpuBackend } from '@vblora/cpu';
import { runConformance } from '@vblora/conformance/vitest';

// core's WebAssembly SIMD backend: judged by the same suite as every other backend
runConformance(createCpuBackend());
