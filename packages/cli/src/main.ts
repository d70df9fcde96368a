import { parseArgs } from 'node:util';
import { VBLoRAError } from '@vblora/core';
import { runCompose } from './commands/compose.js';
import { runBench } from './commands/bench.js';
import { runConformanceCommand } from './commands/conformance.js';
import { runConvert } from './commands/convert.js';
import { runDemo } from './commands/demo/index.js';
import { runInject } from './commands/inject.js';
import { runInspect } from './commands/inspect.js';
import { runMerge } from './commands/merge.js';
import { UsageError } from './errors.js';
import { oneLine, printable, processIO, type CliIO } from './io.js';

const USAGE = `usage: vblora <command> [options]

  demo [--steps N] [--backend wasm|cpu] [--out DIR]
                                                the main job: train VB-LoRA vs LoRA on a ToyLlama, save, reload everywhere
                                                (DIR: new, empty, or an earlier demo's; default demo-output)
  inspect <adapter_dir> [--json] [--adapter NAME]
                                                config, modules, shapes, index dtype, savable params, size, warnings
  compose <adapter_dir> -o out.safetensors [--backend B]
                                                float32 "<module>.A", ".B", ".delta" for every module
  convert <adapter_dir> -o <dir> (--topk-only | --full)
  merge <adapter_dir> --base base.safetensors|<sharded dir>|model.onnx -o <out> [--backend B]
  merge <adapter_dir> --base <model folder> -o <folder> [--requantize] [--skip-unsupported] [--backend B]
                                                every onnx/*.onnx of a transformers.js/Optimum folder merged,
                                                config and tokenizer files copied; quantized models need --requantize
  inject <adapter_dir> [<adapter_dir> ...] --base model.onnx|<model folder> -o <out> [--hot-swap] [--skip-unsupported]
                                                the adapter as a branch beside each adapted layer, quantized ones too:
                                                built in (transformers.js runs it as it is), or graph inputs (--hot-swap;
                                                several adapters: the union of their modules, switchable per run)
  conformance <backend module> [--json]          run the conformance kit against a backend package or file
  bench [--quick] [--json FILE] [--md FILE]      benchmarks against this machine's copy bandwidth

  B (compose, merge): reference (default), cpu (WebAssembly SIMD, same bits), onnx, webgpu. A merge into
  safetensors on the reference backend runs core's WebAssembly kernels on every core.
  inspect, compose, convert, merge, inject also take:
    --adapter NAME        the adapter saved in <adapter_dir>/NAME (a plain folder name; default: the folder itself)
    --max-memory SIZE     memory budget for everything sized by the input files, checked before it is allocated:
                          bytes, or with a unit: 512MiB, 8GiB, 2GB (default 4GiB, or half the
                          memory this process may use if that is less)
  compose, convert, merge, inject:
    --allow-non-finite    go on when the adapter's bank, logits or top-k weights hold NaN or Inf (refused by default)
  merge, inject with ONNX bases (a model folder is config.json + onnx/; its output folder must be new or empty):
    --requantize          merge: quantized models (q4, q4f16, int8, uint8) too, requantized, with the error it adds
    --skip-unsupported    model folders: leave out the models that cannot be processed instead of failing (listed)
  An output is never one of the inputs (through any link); exit 0 on success, 1 on bad input, 2 on bad usage.
`;

const OPTIONS = {
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  out: { type: 'string' },
  base: { type: 'string' },
  backend: { type: 'string' },
  adapter: { type: 'string' },
  'topk-only': { type: 'boolean' },
  full: { type: 'boolean' },
  steps: { type: 'string' },
  'max-memory': { type: 'string' },
  'allow-non-finite': { type: 'boolean' },
  requantize: { type: 'boolean' },
  'skip-unsupported': { type: 'boolean' },
  'hot-swap': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parsed options shared by every command. */
export type CliOptions = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A command: positional arguments and options in, exit status out. */
export type Command = (args: readonly string[], options: CliOptions, io: CliIO) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  demo: runDemo,
  inspect: runInspect,
  compose: runCompose,
  convert: runConvert,
  merge: runMerge,
  inject: runInject,
  conformance: runConformanceCommand,
};

/**
 * Runs the `vblora` command line and returns the exit status: 0 on success, 1 on bad input (one typed line on
 * standard error), 2 on a usage error.
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  try {
    // bench has its own options: pass everything after the command name through untouched
    if (argv[0] === 'bench') return await runBench([], {}, io, argv.slice(1));
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    const [name, ...rest] = positionals;
    if (values.help === true || name === undefined) {
      io.out(USAGE);
      return name === undefined && values.help !== true ? 2 : 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await command(rest, values, io);
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CliIO): number {
  // Messages carry paths, arguments and text from files: every one is escaped before it reaches the terminal.
  if (err instanceof UsageError) {
    io.err(`vblora: ${printable(oneLine(err.message))}\n${USAGE}`);
    return 2;
  }
  if (err instanceof VBLoRAError) {
    io.err(`vblora: ${err.name}: ${printable(oneLine(err.message))}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    io.err(`vblora: ${printable(oneLine(e.message))}\n${USAGE}`);
    return 2;
  }
  if (e?.code === 'ENOENT' || e?.code === 'EISDIR' || e?.code === 'EACCES' || e?.code === 'ENOTDIR' || e?.code === 'ELOOP' || e?.code === 'ENAMETOOLONG') {
    io.err(`vblora: ${e.code}: ${printable(oneLine(e.message))}\n`);
    return 1;
  }
  const stack = (err as Error)?.stack ?? String(err);
  io.err(`vblora: internal error: ${stack.split('\n').map(printable).join('\n')}\n`);
  return 70;
}
