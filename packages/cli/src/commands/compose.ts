import {
  checkMemoryBudget,
  composeAdapter,
  referenceBackend,
  requireKernel,
  writeSafetensors,
  type Backend,
  type HostTensor,
  type KernelSet,
  type VBLoRAAdapter,
} from '@vblora/core';
import { writeFileAtomic } from '@vblora/core/node';
import { backendFromOption } from '../backend-option.js';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { inputLimits, readInputAdapter, refuseOutputsOverInputs } from './adapter-input.js';
import { modules, onePositional, requiredOption } from './args.js';

/** Bytes of compose's output tensors: float32 A (r × in), B (out × r) and delta (out × in) of every module. */
export function composeOutputBytes(adapter: VBLoRAAdapter): number {
  const r = adapter.config.r;
  let elements = 0;
  for (const m of adapter.modules.values())
    elements += r * m.inFeatures + m.outFeatures * r + m.outFeatures * m.inFeatures;
  return 4 * elements;
}

/**
 * The kernel that computes ΔW = B·A: the backend's own, or core's reference kernel when the backend has none (the
 * cpu backend merges without materialising ΔW). The cpu backend's A and B are the reference's bits, so its file is
 * the reference backend's, byte for byte.
 */
function deltaKernel(backend: Backend): { deltaWeight: KernelSet['deltaWeight']; on: string } {
  const own = backend.kernels.deltaWeight;
  if (own !== undefined) return { deltaWeight: own, on: backend.name };
  return { deltaWeight: requireKernel(referenceBackend, 'deltaWeight'), on: referenceBackend.name };
}

/** `vblora compose <adapter_dir> -o out.safetensors`: float32 `<module>.A`, `.B` and `.delta` for every module. */
export async function runCompose(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'compose');
  const output = requiredOption(options.output, '-o out.safetensors', 'compose');
  const limits = inputLimits(options, 'compose');
  const backend = await backendFromOption(options.backend);
  const delta = deltaKernel(backend);
  await refuseOutputsOverInputs([output], dir, limits.name);
  const { adapter } = await readInputAdapter(dir, limits, 'compose');
  // Everything is held at once before the write: the tensors, then the file built from them (its header is small).
  const bytes = composeOutputBytes(adapter);
  checkMemoryBudget(
    2 * bytes,
    `compose: the float32 A, B and delta of ${modules(adapter)} (${bytes} bytes) and the file holding them`,
    limits.maxMemoryBytes,
  );
  const progress = createProgress(io, 'compose');
  const pairs = await composeAdapter(adapter, { backend, onProgress: (d, t, m) => progress.update(d, t, m) });
  progress.finish();
  const tensors = new Map<string, HostTensor>();
  for (const [path, { A, B }] of pairs) {
    tensors.set(`${path}.A`, A);
    tensors.set(`${path}.B`, B);
    tensors.set(`${path}.delta`, await delta.deltaWeight({ A, B, fanInFanOut: adapter.config.fan_in_fan_out }));
  }
  const file = writeSafetensors(tensors, { format: 'pt' });
  await writeFileAtomic(output, file);
  const where =
    delta.on === backend.name
      ? backend.name
      : `${backend.name} (ΔW on ${delta.on}: ${backend.name} has no deltaWeight kernel)`;
  io.out(`composed ${pairs.size} modules on ${where} → ${printable(output)} (${file.byteLength} bytes)\n`);
  return 0;
}
