import { UnsupportedError, type VBLoRAAdapter } from '@vblora/core';
import { UsageError } from '../errors.js';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { createProgress } from '../progress.js';
import { adapterInputs, inputLimits, readInputAdapter, refuseOutputsOverInputs } from './adapter-input.js';
import { modules, requiredOption } from './args.js';
import { folderProgress, isModelFolderPath, printFolderReport, skipOption } from './model-folder.js';

/**
 * `vblora inject <adapter_dir> [<adapter_dir> …] --base model.onnx|<model folder> -o <out> [--hot-swap]`: the
 * adapter as an unmerged branch beside each adapted layer (float or quantized), built in (default: transformers.js
 * runs the output as it is) or as graph inputs (`--hot-swap`: for `AdapterSession` and servers that switch adapters
 * per request). With `--hot-swap`, several adapters: the union of their modules gets branches.
 */
export async function runInject(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  if (args.length === 0) throw new UsageError('inject: missing <adapter_dir>');
  const hotSwap = options['hot-swap'] === true;
  if (args.length > 1 && !hotSwap) {
    throw new UsageError(
      `inject: ${args.length} adapters given; several adapters need --hot-swap (a built-in adapter is one per model)`,
    );
  }
  const dirs = [...args];
  const basePath = requiredOption(options.base, '--base model.onnx|<model folder>', 'inject');
  const output = requiredOption(options.output, '-o <out>', 'inject');
  const limits = inputLimits(options, 'inject');
  const folder = await isModelFolderPath(basePath);
  if (!folder && !basePath.endsWith('.onnx')) {
    throw new UnsupportedError(
      `inject: --base must be an .onnx model or a model folder (config.json and onnx/), got ${basePath}`,
    );
  }
  if (!folder && !output.endsWith('.onnx'))
    throw new UnsupportedError(`inject: an ONNX base needs an .onnx output, got -o ${output}`);
  if (options['skip-unsupported'] === true && !folder)
    throw new UsageError('inject: --skip-unsupported is for model folders');
  for (const dir of dirs) await refuseOutputsOverInputs([output], dir, limits.name, [basePath]);
  const adapters: VBLoRAAdapter[] = [];
  for (const dir of dirs) adapters.push((await readInputAdapter(dir, limits, 'inject')).adapter);
  const adapter = adapters[0]!;
  const { maxMemoryBytes } = limits;
  const progress = createProgress(io, 'inject');
  const onnx = await import('@vblora/onnx');
  if (folder) {
    const report = await onnx.injectModelFolder(adapters, basePath, output, {
      hotSwap,
      maxMemoryBytes,
      ...skipOption(options),
      otherInputs: dirs.flatMap((dir) => adapterInputs(dir, limits.name)),
      onProgress: folderProgress(progress),
    });
    progress.finish();
    printFolderReport(report, io);
    return 0;
  }
  const written = await onnx.injectOnnxFile(basePath, output, {
    adapter,
    adapters,
    variant: hotSwap ? 'lowrank' : 'static',
    maxMemoryBytes,
  });
  progress.finish();
  for (const w of written.warnings) io.err(`vblora: warning: ${printable(w)}\n`);
  const how = hotSwap ? 'as hot-swappable inputs (feed them with AdapterSession)' : 'built in';
  const what =
    adapters.length === 1 ? modules(adapter) : `${adapters.length} adapters (${written.info.modules.length} modules)`;
  io.out(`injected ${what} into ${printable(output)} ${how}\n`);
  return 0;
}
