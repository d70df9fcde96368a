import { afterAll } from 'vitest';
import { runConformance } from '@vblora/conformance/vitest';
import { createOnnxBackend } from '@vblora/onnx';

// one thread per kernel session: the suite shares a 2-core machine with other packages' tests
const backend = createOnnxBackend({ sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
afterAll(() => backend.release());

runConformance(backend);
