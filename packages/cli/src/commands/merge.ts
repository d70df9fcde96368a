import { UnsupportedError } from '@vblora/core';
import { mergeCheckpoint } from '@vblora/core/node';
import { backendFromOption } from '../backend-option.js';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { inputLimits, readInputAdapter, refuseOutputsOverInputs } from './adapter-input.js';
import { onePositional, requiredOption } from './args.js';

/**
 * `vblora merge <adapter_dir> --base base.safetensors|<sharded folder> -o merged.safetensors|<folder>`: what
 * PEFT's `merge_and_unload` gives — deltas merged in the base dtype, trained biases and modules_to_save copies
 * carried over — streamed tensor by tensor on every core.
 */
export async function runMerge(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'merge');
  const basePath = requiredOption(options.base, '--base base.safetensors', 'merge');
  const output = requiredOption(options.output, '-o merged.safetensors', 'merge');
  const limits = inputLimits(options, 'merge');
  const backend = await backendFromOption(options.backend);
  if (basePath.endsWith('.onnx') && !output.endsWith('.onnx')) {
    throw new UnsupportedError(`merge: an ONNX base needs an .onnx output, got -o ${output}`);
  }
  // The merge checks its own outputs (shards, external data) against the base; the adapter is ours to protect.
  await refuseOutputsOverInputs([output], dir, limits.name, [basePath]);
  const { adapter } = await readInputAdapter(dir, limits, 'merge');
  const { maxMemoryBytes } = limits;
  const progress = createProgress(io, 'merge');
  if (basePath.endsWith('.onnx')) {
    const { mergeOnnxFile } = await import('@vblora/onnx');
    const report = await mergeOnnxFile(adapter, basePath, output, { backend, maxMemoryBytes, onProgress: (d, t, m) => progress.update(d, t, m) });
    progress.finish();
    for (const w of report.warnings) io.err(`vblora: warning: ${printable(w)}\n`);
    io.out(`merged ${report.modules.length} modules into ${printable(output)} on ${backend.name}\n`);
    return 0;
  }
  const t0 = performance.now();
  const result = await mergeCheckpoint(adapter, basePath, output, {
    backend,
    maxMemoryBytes,
    onProgress: (done, total, tensor) => progress.update(Math.round(done / 2 ** 20), Math.round(total / 2 ** 20), `MiB ${tensor}`),
  });
  progress.finish();
  const s = (performance.now() - t0) / 1000;
  const where = result.shards.length === 1 ? result.shards[0]! : `${result.shards.length} shards in ${output}`;
  io.out(
    `merged ${result.mergedModules} modules into ${printable(where)}` +
      ` on ${backend.name} (${result.threads} thread${result.threads === 1 ? '' : 's'}, ${(result.bytes / 2 ** 20).toFixed(1)} MiB in ${s.toFixed(2)} s)\n`,
  );
  return 0;
}
