// @vblora/webgpu in a scratch app: createNodeWebGpuBackend (Dawn from the app's `webgpu` package) and one kernel
// (composeLowRank, through composeAdapter) on the golden adapter against the reference backend. Without a WebGPU
// adapter it prints { available: false } and runs nothing. Prints one JSON line.
import { compareTensors, composeAdapter, formatMismatch, referenceBackend } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath } from '@vblora/conformance/fixtures';
import { createNodeWebGpuBackend } from '@vblora/webgpu/node';

const CASE = process.argv[2]; // a PEFT golden case of @vblora/conformance
// float32 on the GPU against the reference's loops: a few ulps of results of order 0.1–10
const F32 = { atol: 1e-6, rtol: 1e-5 };

const backend = await createNodeWebGpuBackend();
const available = await backend.isAvailable();
const out = { backend: backend.name, available };
if (available) {
  const { adapter } = await readAdapterDir(peftGoldenPath(CASE, 'adapter_full'));
  const ours = await composeAdapter(adapter, { backend });
  const reference = await composeAdapter(adapter, { backend: referenceBackend });
  out.modules = ours.size;
  out.maxAbs = 0;
  out.mismatches = [];
  for (const [m, pair] of ours) {
    for (const part of ['A', 'B']) {
      const r = compareTensors(pair[part], reference.get(m)[part], F32);
      out.maxAbs = Math.max(out.maxAbs, r.maxAbs);
      if (!r.ok) out.mismatches.push(formatMismatch(r, `${m}.${part}`));
    }
  }
}
out.resolved = { webgpu: import.meta.resolve('@vblora/webgpu/node'), dawn: import.meta.resolve('webgpu') };
process.stdout.write(`${JSON.stringify(out)}\n`);
