import { toFullAdapter, toTopkAdapter } from '@vblora/core';
import { readAdapterDir, writeAdapterDir } from '@vblora/core/node';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { onePositional, requiredOption } from './args.js';

/** `vblora convert <adapter_dir> -o <dir> (--topk-only | --full)`: re-save in the other PEFT flavour. */
export async function runConvert(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'convert');
  const output = requiredOption(options.output, '-o <dir>', 'convert');
  if ((options['topk-only'] === true) === (options.full === true)) {
    throw new UsageError('convert: give exactly one of --topk-only or --full');
  }
  const { adapter } = await readAdapterDir(dir, options.adapter ?? 'default');
  const { adapter: converted, repairs } = options.full === true ? toFullAdapter(adapter) : toTopkAdapter(adapter);
  const folder = await writeAdapterDir(output, converted);
  for (const r of repairs) io.err(`vblora: note: ${r}\n`);
  io.out(`wrote ${options.full === true ? 'full-logits' : 'top-k'} adapter to ${folder}\n`);
  return 0;
}
