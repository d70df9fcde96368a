import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  checkMemoryBudget,
  toFullAdapter,
  toTopkAdapter,
  type VBLoRAAdapter,
} from '@vblora/core';
import { adapterFolder, writeAdapterDir } from '@vblora/core/node';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { inputLimits, readInputAdapter, refuseOutputsOverInputs } from './adapter-input.js';
import { modules, onePositional, requiredOption } from './args.js';

/** Bytes of the float32 logits `--full` builds: r × tiles × num_vectors for each factor of every module. */
export function fullLogitsBytes(adapter: VBLoRAAdapter): number {
  const { r, num_vectors: nv, vector_length: vl } = adapter.config;
  let elements = 0;
  for (const m of adapter.modules.values()) elements += r * (m.inFeatures / vl + m.outFeatures / vl) * nv;
  return 4 * elements;
}

/**
 * `vblora convert <adapter_dir> -o <dir> (--topk-only | --full)`: re-save in the other PEFT flavour. An adapter
 * holding NaN/Inf is refused like for compose and merge (unless `--allow-non-finite`): the bank and logits are
 * carried into the new file, which would compose to NaN in PEFT too, with no warning there.
 */
export async function runConvert(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'convert');
  const output = requiredOption(options.output, '-o <dir>', 'convert');
  if ((options['topk-only'] === true) === (options.full === true)) {
    throw new UsageError('convert: give exactly one of --topk-only or --full');
  }
  const limits = inputLimits(options, 'convert');
  const outFolder = adapterFolder(output, limits.name);
  await refuseOutputsOverInputs(
    [outFolder, join(outFolder, ADAPTER_CONFIG_FILE), join(outFolder, ADAPTER_WEIGHTS_FILE)],
    dir,
    limits.name,
  );
  const { adapter } = await readInputAdapter(dir, limits, 'convert');
  if (options.full === true) {
    // the logits in memory, then the file holding them
    const bytes = fullLogitsBytes(adapter);
    checkMemoryBudget(
      2 * bytes,
      `convert --full: the float32 logits of ${modules(adapter)} (${bytes} bytes) and the file holding them`,
      limits.maxMemoryBytes,
    );
  }
  const { adapter: converted, repairs } = options.full === true ? toFullAdapter(adapter) : toTopkAdapter(adapter);
  const folder = await writeAdapterDir(output, converted);
  for (const r of repairs) io.err(`vblora: note: ${printable(r)}\n`);
  io.out(`wrote ${options.full === true ? 'full-logits' : 'top-k'} adapter to ${printable(folder)}\n`);
  return 0;
}
