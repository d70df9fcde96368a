/**
 * The shared conformance suite (PEFT golden cases and seeded random cases for every kernel) against the tfjs
 * backend on tf.js `cpu`.
 */
import { runConformance } from '@vblora/conformance/vitest';
import { createTfjsBackend } from '@vblora/tfjs';
import './helpers/tf-setup.js';

runConformance(createTfjsBackend({ tfBackend: 'cpu' }));
