import { readFile } from 'node:fs/promises';
import { mergeIntoStateDict, readSafetensors, UnsupportedError, writeSafetensors } from '@vblora/core';
import { readAdapterDir, writeFileAtomic } from '@vblora/core/node';
import { backendFromOption } from '../backend-option.js';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { onePositional, requiredOption } from './args.js';

/**
 * `vblora merge <adapter_dir> --base base.safetensors -o merged.safetensors`: what PEFT's `merge_and_unload`
 * gives — deltas merged in the base dtype, trained biases and modules_to_save copies carried over.
 */
export async function runMerge(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'merge');
  const basePath = requiredOption(options.base, '--base base.safetensors', 'merge');
  const output = requiredOption(options.output, '-o merged.safetensors', 'merge');
  if (!basePath.endsWith('.safetensors')) {
    throw new UnsupportedError(`merge: --base ${basePath}: only .safetensors bases are supported by this build`);
  }
  const backend = await backendFromOption(options.backend);
  const { adapter } = await readAdapterDir(dir, options.adapter ?? 'default');
  const raw = await readFile(basePath);
  const base = readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  const progress = createProgress(io, 'merge');
  const merged = await mergeIntoStateDict(adapter, base.tensors, {
    backend,
    onProgress: (d, t, m) => progress.update(d, t, m),
  });
  progress.finish();
  await writeFileAtomic(output, writeSafetensors(merged, base.metadata));
  io.out(`merged ${adapter.modules.size} modules into ${output} on ${backend.name}\n`);
  return 0;
}
