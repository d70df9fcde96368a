import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  checkMemoryBudget,
  toFullAdapter,
  toLoraAdapter,
  toLoraMemoryBytes,
  toTopkAdapter,
  type ToLoraOptions,
  type VBLoRAAdapter,
} from '@vblora/core';
import { adapterFolder, writeAdapterDir, writeLoraDir } from '@vblora/core/node';
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
 * `vblora convert <adapter_dir> -o <dir> (--topk-only | --full | --to-lora)`: re-save in the other PEFT flavour
 * (or as LoRA, see {@link runToLora}). An adapter
 * holding NaN/Inf is refused like for compose and merge (unless `--allow-non-finite`): the bank and logits are
 * carried into the new file, which would compose to NaN in PEFT too, with no warning there.
 */
export async function runConvert(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'convert');
  const output = requiredOption(options.output, '-o <dir>', 'convert');
  const modes = [options['topk-only'], options.full, options['to-lora']].filter((m) => m === true).length;
  if (modes !== 1) throw new UsageError('convert: give exactly one of --topk-only, --full or --to-lora');
  if (options['to-lora'] === true) return runToLora(dir, output, options, io);
  if (options.rank !== undefined || options.energy !== undefined) {
    throw new UsageError('convert: --rank and --energy go with --to-lora');
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

/** `--rank N` / `--energy F` as {@link ToLoraOptions} (usage errors for malformed or combined values). */
export function loraRankOptions(options: CliOptions): Pick<ToLoraOptions, 'rank' | 'energy'> {
  const { rank, energy } = options;
  if (rank !== undefined && energy !== undefined) throw new UsageError('convert: give --rank or --energy, not both');
  if (rank !== undefined) {
    if (!/^[0-9]+$/.test(rank) || !Number.isSafeInteger(Number(rank))) {
      throw new UsageError(`convert: --rank takes a whole number, got "${rank}"`);
    }
    return { rank: Number(rank) };
  }
  if (energy !== undefined) {
    if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/i.test(energy)) {
      throw new UsageError(`convert: --energy takes a number in (0, 1], got "${energy}"`);
    }
    return { energy: Number(energy) };
  }
  return {};
}

/** Bytes of the LoRA file: float32 factors at `rank` (at most r under --energy) and the carried tensors. */
function loraFileBytes(adapter: VBLoRAAdapter, rank: number): number {
  let bytes = 0;
  for (const m of adapter.modules.values()) bytes += 4 * rank * (m.inFeatures + m.outFeatures);
  for (const t of adapter.extraTensors.values()) bytes += t.data.byteLength;
  return bytes;
}

/**
 * `vblora convert <adapter_dir> --to-lora [--rank N | --energy F] -o <dir>`: a PEFT LoRA checkpoint in `<dir>`, as
 * PEFT's `save_as_lora` writes it (default rank: the adapter's r, i.e. VB-LoRA's own factors).
 */
async function runToLora(dir: string, output: string, options: CliOptions, io: CliIO): Promise<number> {
  const rankOptions = loraRankOptions(options);
  const limits = inputLimits(options, 'convert');
  await refuseOutputsOverInputs(
    [output, join(output, ADAPTER_CONFIG_FILE), join(output, ADAPTER_WEIGHTS_FILE)],
    dir,
    limits.name,
  );
  const { adapter } = await readInputAdapter(dir, limits, 'convert');
  const rank = Math.max(adapter.config.r, rankOptions.rank ?? 0);
  checkMemoryBudget(
    toLoraMemoryBytes(adapter, rankOptions) + loraFileBytes(adapter, rank),
    `convert --to-lora: the LoRA factors of ${modules(adapter)}, their work space and the file holding them`,
    limits.maxMemoryBytes,
  );
  const lora = await toLoraAdapter(adapter, { ...rankOptions, maxMemoryBytes: limits.maxMemoryBytes });
  const folder = await writeLoraDir(output, lora);
  for (const r of lora.repairs) io.err(`vblora: note: ${printable(r)}\n`);
  const ranks = [...lora.ranks.values()];
  const low = Math.min(...ranks);
  const high = Math.max(...ranks);
  const how = low === high ? `rank ${low}` : `ranks ${low}-${high}`;
  io.out(`wrote LoRA adapter (${how}, ${modules(adapter)}) to ${printable(folder)}\n`);
  return 0;
}
