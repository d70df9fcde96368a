// @vblora/core in a scratch app: PEFT's golden adapter, read from @vblora/conformance's packaged fixtures and
// composed by the reference backend, against PEFT's A and B. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { compareTensors, composeAdapter, formatMismatch, readSafetensors } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath } from '@vblora/conformance/fixtures';

const CASE = process.argv[2]; // a PEFT golden case of @vblora/conformance
// the tolerance of core's compose parity test: a few float32 ulps of results of order 0.1–10
const F32 = { atol: 1e-6, rtol: 1e-5 };

const expected = readSafetensors(readFileSync(peftGoldenPath(CASE, 'expected.safetensors'))).tensors;
const { adapter } = await readAdapterDir(peftGoldenPath(CASE, 'adapter_full'));
const composed = await composeAdapter(adapter);
let maxAbs = 0;
const mismatches = [];
for (const [m, pair] of composed) {
  for (const part of ['A', 'B']) {
    const r = compareTensors(pair[part], expected.get(`layer.${m}.${part}`), F32);
    maxAbs = Math.max(maxAbs, r.maxAbs);
    if (!r.ok) mismatches.push(formatMismatch(r, `${m}.${part}`));
  }
}
const resolved = {
  core: import.meta.resolve('@vblora/core'),
  conformance: import.meta.resolve('@vblora/conformance/fixtures'),
};
process.stdout.write(`${JSON.stringify({ modules: composed.size, maxAbs, mismatches, resolved })}\n`);
