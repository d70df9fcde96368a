import { referenceBackend } from '@vblora/core';
import { runConformance } from '@vblora/conformance/vitest';

// The reference backend is the executable specification: it must pass every case.
runConformance(referenceBackend);
