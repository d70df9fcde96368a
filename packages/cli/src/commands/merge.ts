import { UnsupportedError } from '@vblora/core';
import { mergeCheckpoint } from '@vblora/core/node';
import { backendFromOption } from '../backend-option.js';
import { UsageError } from '../errors.js';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { adapterInputs, inputLimits, readInputAdapter, refuseOutputsOverInputs } from './adapter-input.js';
import { onePositional, requiredOption } from './args.js';
import { folderProgress, isModelFolderPath, printFolderReport, skipOption } from './model-folder.js';

/**
 * `vblora merge <adapter_dir> --base base.safetensors|<sharded folder>|model.onnx|<model folder> -o <out>`: what
 * PEFT's `merge_and_unload` gives — deltas merged in the base dtype, trained biases and modules_to_save copies
 * carried over — streamed tensor by tensor on every core; a model folder (config.json + onnx/) gets every ONNX
 * variant merged into a new folder, quantized ones only with `--requantize`.
 */
export async function runMerge(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'merge');
  const basePath = requiredOption(options.base, '--base base.safetensors', 'merge');
  const output = requiredOption(options.output, '-o merged.safetensors', 'merge');
  const limits = inputLimits(options, 'merge');
  const backend = await backendFromOption(options.backend);
  const folder = await isModelFolderPath(basePath);
  if (!folder && basePath.endsWith('.onnx') && !output.endsWith('.onnx')) {
    throw new UnsupportedError(`merge: an ONNX base needs an .onnx output, got -o ${output}`);
  }
  const requantize = options.requantize === true;
  if (requantize && !folder && !basePath.endsWith('.onnx')) {
    throw new UsageError('merge: --requantize is for ONNX bases (a model folder or a .onnx file)');
  }
  if (options['skip-unsupported'] === true && !folder)
    throw new UsageError('merge: --skip-unsupported is for model folders');
  // The merge checks its own outputs (shards, external data, a folder's files) against the base; the adapter is ours to protect.
  await refuseOutputsOverInputs([output], dir, limits.name, [basePath]);
  const { adapter } = await readInputAdapter(dir, limits, 'merge');
  const { maxMemoryBytes } = limits;
  const progress = createProgress(io, 'merge');
  if (folder) {
    const { mergeModelFolder } = await import('@vblora/onnx');
    const report = await mergeModelFolder(adapter, basePath, output, {
      backend,
      maxMemoryBytes,
      allowQuantizedMerge: requantize,
      ...skipOption(options),
      otherInputs: adapterInputs(dir, limits.name),
      onProgress: folderProgress(progress),
    });
    progress.finish();
    printFolderReport(report, io);
    return 0;
  }
  if (basePath.endsWith('.onnx')) {
    const { mergeOnnxModelAnyFormat, readOnnxModel } = await import('@vblora/onnx');
    const model = await readOnnxModel(basePath, { maxMemoryBytes });
    const report = await mergeOnnxModelAnyFormat(model, adapter, output, {
      backend,
      maxMemoryBytes,
      allowQuantizedMerge: requantize,
      onProgress: (d, t, m) => progress.update(d, t, m),
    });
    progress.finish();
    for (const w of report.warnings) io.err(`vblora: warning: ${printable(w)}\n`);
    io.out(`merged ${report.modules.length} modules into ${printable(output)} on ${backend.name}\n`);
    for (const r of report.requantized) {
      io.out(
        `requantized ${printable(r.module)} (${r.layout}, ${r.rule}): max error ${r.maxAbsError.toPrecision(3)}, ` +
          `base half step ${r.baseHalfStep.toPrecision(3)}, ΔW error ${(100 * r.deltaRelError).toFixed(1)}% of ‖ΔW‖\n`,
      );
    }
    return 0;
  }
  const t0 = performance.now();
  const result = await mergeCheckpoint(adapter, basePath, output, {
    backend,
    maxMemoryBytes,
    onProgress: (done, total, tensor) =>
      progress.update(Math.round(done / 2 ** 20), Math.round(total / 2 ** 20), `MiB ${tensor}`),
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
