// @vblora/tfjs in a scratch app: createBackend({ tfBackend: 'wasm' }) on the app's tf.js and tfjs-backend-wasm,
// one kernel (composeLowRank, through composeAdapter) on the golden adapter against the reference backend and PEFT.
// Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { compareTensors, composeAdapter, formatMismatch, readSafetensors, referenceBackend } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath } from '@vblora/conformance/fixtures';
import { createBackend } from '@vblora/tfjs';

const CASE = process.argv[2]; // a PEFT golden case of @vblora/conformance
const F32 = { atol: 1e-6, rtol: 1e-5 };

const backend = await createBackend({ tfBackend: 'wasm' });
const available = await backend.isAvailable();
const expected = readSafetensors(readFileSync(peftGoldenPath(CASE, 'expected.safetensors'))).tensors;
const { adapter } = await readAdapterDir(peftGoldenPath(CASE, 'adapter_full'));
const ours = await composeAdapter(adapter, { backend });
const reference = await composeAdapter(adapter, { backend: referenceBackend });
let maxAbs = 0;
const mismatches = [];
for (const [m, pair] of ours) {
  for (const part of ['A', 'B']) {
    for (const [label, want] of [
      ['reference', reference.get(m)[part]],
      ['PEFT', expected.get(`layer.${m}.${part}`)],
    ]) {
      const r = compareTensors(pair[part], want, F32);
      maxAbs = Math.max(maxAbs, r.maxAbs);
      if (!r.ok) mismatches.push(formatMismatch(r, `${m}.${part} vs ${label}`));
    }
  }
}
const resolved = { tfjs: import.meta.resolve('@vblora/tfjs'), tf: import.meta.resolve('@tensorflow/tfjs') };
const out = {
  backend: backend.name,
  available,
  tfBackend: tf.getBackend(),
  tf: tf.version.tfjs,
  modules: ours.size,
  maxAbs,
  mismatches,
  resolved,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
