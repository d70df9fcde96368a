/**
 * The commands, each with the options it accepts and a loader: a command's module (and what it imports: tf.js,
 * onnxruntime, transformers.js, Dawn) is loaded only when that command runs, so `vblora inspect` starts fast.
 * @module
 */
import type { CliIO } from './io.js';
import type { CliOptions, OptionName } from './options.js';

/** A command: positional arguments and options in, exit status out. */
export type Command = (args: readonly string[], options: CliOptions, io: CliIO) => Promise<number>;

/** One command of the table. @internal */
export interface CommandEntry {
  /** The options it accepts (`--help` is always accepted), or `'raw'`: its arguments are passed on unparsed. */
  readonly options: readonly OptionName[] | 'raw';
  /** Imports the command's module. */
  readonly load: () => Promise<Command>;
}

/** Options of every command that reads an adapter. */
const READS: readonly OptionName[] = ['adapter', 'max-memory'];
/** Options of every command that computes from an adapter. */
const COMPUTES: readonly OptionName[] = [...READS, 'allow-non-finite'];

/** The commands, in the order `vblora --help` lists them. @internal */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  demo: { options: ['steps', 'backend', 'out'], load: async () => (await import('./commands/demo/index.js')).runDemo },
  inspect: { options: ['json', ...READS], load: async () => (await import('./commands/inspect.js')).runInspect },
  compose: {
    options: ['output', 'backend', ...COMPUTES],
    load: async () => (await import('./commands/compose.js')).runCompose,
  },
  convert: {
    options: ['output', 'topk-only', 'full', 'to-lora', 'rank', 'energy', ...COMPUTES],
    load: async () => (await import('./commands/convert.js')).runConvert,
  },
  merge: {
    options: ['base', 'output', 'backend', 'requantize', 'skip-unsupported', ...COMPUTES],
    load: async () => (await import('./commands/merge.js')).runMerge,
  },
  inject: {
    options: ['base', 'output', 'hot-swap', 'skip-unsupported', ...COMPUTES],
    load: async () => (await import('./commands/inject.js')).runInject,
  },
  conformance: {
    options: ['option', 'json'],
    load: async () => (await import('./commands/conformance.js')).runConformanceCommand,
  },
  bench: { options: 'raw', load: async () => (await import('./commands/bench.js')).runBench },
};

/** The command table's entry for `name`, or undefined (never an inherited property). @internal */
export function commandEntry(name: string): CommandEntry | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}
