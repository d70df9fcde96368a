import type { parseArgs } from 'node:util';

/**
 * Every option of every command, in `node:util` `parseArgs` form; each command accepts its own subset.
 * `--help`/`-h` is not here: it is answered before any parsing, wherever it stands.
 */
export const OPTIONS = {
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  out: { type: 'string' },
  base: { type: 'string' },
  backend: { type: 'string' },
  adapter: { type: 'string' },
  'topk-only': { type: 'boolean' },
  full: { type: 'boolean' },
  'to-lora': { type: 'boolean' },
  rank: { type: 'string' },
  energy: { type: 'string' },
  steps: { type: 'string' },
  'max-memory': { type: 'string' },
  'allow-non-finite': { type: 'boolean' },
  requantize: { type: 'boolean' },
  'skip-unsupported': { type: 'boolean' },
  'hot-swap': { type: 'boolean' },
  option: { type: 'string', multiple: true },
} as const;

/** The name of an option, as written after `--`. */
export type OptionName = keyof typeof OPTIONS;

/** Parsed options shared by every command. */
export type CliOptions = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
