import { UnsupportedError } from '@vblora/core';
import { UsageError } from '../errors.js';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { adapterInputs, inputLimits, readInputAdapter, refuseOutputsOverInputs } from './adapter-input.js';
import { modules, onePositional, requiredOption } from './args.js';
import { folderProgress, isModelFolderPath, printFolderReport, skipOption } from './model-folder.js';

/**
 * `vblora inject <adapter_dir> --base model.onnx|<model folder> -o <out> [--hot-swap]`: the adapter as an unmerged
 * branch beside each adapted layer (float or quantized), built in (default: transformers.js runs the output as it
 * is) or as graph inputs (`--hot-swap`: for `AdapterSession` and servers that switch adapters per request).
 */
export async function runInject(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'inject');
  const basePath = requiredOption(options.base, '--base model.onnx|<model folder>', 'inject');
  const output = requiredOption(options.output, '-o <out>', 'inject');
  const limits = inputLimits(options, 'inject');
  const folder = await isModelFolderPath(basePath);
  if (!folder && !basePath.endsWith('.onnx')) {
    throw new UnsupportedError(`inject: --base must be an .onnx model or a model folder (config.json and onnx/), got ${basePath}`);
  }
  if (!folder && !output.endsWith('.onnx')) throw new UnsupportedError(`inject: an ONNX base needs an .onnx output, got -o ${output}`);
  if (options['skip-unsupported'] === true && !folder) throw new UsageError('inject: --skip-unsupported is for model folders');
  await refuseOutputsOverInputs([output], dir, limits.name, [basePath]);
  const { adapter } = await readInputAdapter(dir, limits, 'inject');
  const { maxMemoryBytes } = limits;
  const hotSwap = options['hot-swap'] === true;
  const progress = createProgress(io, 'inject');
  const onnx = await import('@vblora/onnx');
  if (folder) {
    const report = await onnx.injectModelFolder(adapter, basePath, output, {
      hotSwap,
      maxMemoryBytes,
      ...skipOption(options),
      otherInputs: adapterInputs(dir, limits.name),
      onProgress: folderProgress(progress),
    });
    progress.finish();
    printFolderReport(report, io);
    return 0;
  }
  const written = await onnx.injectOnnxFile(basePath, output, { adapter, variant: hotSwap ? 'lowrank' : 'static', maxMemoryBytes });
  progress.finish();
  for (const w of written.warnings) io.err(`vblora: warning: ${printable(w)}\n`);
  const how = hotSwap ? 'as hot-swappable inputs (feed them with AdapterSession)' : 'built in';
  io.out(`injected ${modules(adapter)} into ${printable(output)} ${how}\n`);
  return 0;
}
