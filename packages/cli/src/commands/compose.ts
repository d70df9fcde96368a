import { readFile } from 'node:fs/promises';
import { composeAdapter, requireKernel, writeSafetensors, type HostTensor } from '@vblora/core';
import { readAdapterDir, writeFileAtomic } from '@vblora/core/node';
import { backendFromOption } from '../backend-option.js';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { onePositional, requiredOption } from './args.js';

/** `vblora compose <adapter_dir> -o out.safetensors`: float32 `<module>.A`, `.B` and `.delta` for every module. */
export async function runCompose(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'compose');
  const output = requiredOption(options.output, '-o out.safetensors', 'compose');
  const backend = await backendFromOption(options.backend);
  const deltaWeight = requireKernel(backend, 'deltaWeight');
  const { adapter } = await readAdapterDir(dir, options.adapter ?? 'default');
  const progress = createProgress(io, 'compose');
  const pairs = await composeAdapter(adapter, { backend, onProgress: (d, t, m) => progress.update(d, t, m) });
  progress.finish();
  const tensors = new Map<string, HostTensor>();
  for (const [path, { A, B }] of pairs) {
    tensors.set(`${path}.A`, A);
    tensors.set(`${path}.B`, B);
    tensors.set(`${path}.delta`, await deltaWeight({ A, B, fanInFanOut: adapter.config.fan_in_fan_out }));
  }
  await writeFileAtomic(output, writeSafetensors(tensors, { format: 'pt' }));
  io.out(`composed ${pairs.size} modules on ${backend.name} → ${output} (${(await readFile(output)).byteLength} bytes)\n`);
  return 0;
}
