import { parseArgs } from 'node:util';
import { VBLoRAError } from '@vblora/core';
import { COMMANDS, commandEntry } from './command-table.js';
import { UsageError } from './errors.js';
import { COMMAND_HELP, USAGE } from './help-text.js';
import { oneLine, printable, processIO, type CliIO } from './io.js';
import { OPTIONS, type OptionName } from './options.js';
import { cliVersion } from './version.js';

export type { CliOptions } from './options.js';
export type { Command } from './command-table.js';

/** True when the arguments ask for help (`--help` or `-h` before any `--`). */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The `parseArgs` table of the options `names`, typed as the whole table: what it parses is a `CliOptions`. */
function optionTable(names: readonly OptionName[]): typeof OPTIONS {
  return Object.fromEntries(names.map((n) => [n, OPTIONS[n]])) as typeof OPTIONS;
}

/** `vblora help [<command>]`. */
function help(args: readonly string[], io: CliIO): number {
  if (args.length > 1) throw new UsageError(`help: unexpected argument "${args[1]}"`);
  const name = args[0];
  if (name === undefined) {
    io.out(USAGE);
    return 0;
  }
  const text = commandEntry(name) === undefined ? undefined : COMMAND_HELP[name];
  if (text === undefined)
    throw new UsageError(`help: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  io.out(text);
  return 0;
}

/**
 * Runs the `vblora` command line and returns the exit status: 0 on success, 1 on bad input (one typed line on
 * standard error), 2 on a usage error (one line naming the help to read). A command's module is imported only
 * when it runs, after its arguments parsed.
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [first, ...rest] = argv;
  let command = ''; // the command whose help a usage error points to
  try {
    if (first === undefined) {
      io.out(USAGE);
      return 2;
    }
    if (first === '--help' || first === '-h') return help(rest.slice(0, 1), io);
    if (first === 'help') return help(rest, io);
    if (first === '--version') {
      if (rest.length > 0) throw new UsageError(`--version takes no arguments, got "${rest[0]}"`);
      io.out(`${cliVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-'))
      throw new UsageError(`unknown option ${first}: the command comes first (vblora <command> [options])`);
    const entry = commandEntry(first);
    if (entry === undefined)
      throw new UsageError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    command = first;
    if (wantsHelp(rest)) {
      io.out(COMMAND_HELP[first] ?? USAGE);
      return 0;
    }
    if (entry.options === 'raw') return await (await entry.load())(rest, {}, io);
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: optionTable(entry.options),
      allowPositionals: true,
      strict: true,
    });
    return await (
      await entry.load()
    )(positionals, values, io);
  } catch (err) {
    return reportError(err, io, command);
  }
}

const PARSE_ERRORS = new Set([
  'ERR_PARSE_ARGS_UNKNOWN_OPTION',
  'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
  'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
]);
const FILE_ERRORS = new Set(['ENOENT', 'EISDIR', 'EACCES', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/** A usage error as one line: the message, then where the command's usage is. */
function usageLine(message: string, command: string): string {
  return `vblora: ${printable(oneLine(message))}; see "vblora ${command === '' ? '' : `${command} `}--help"\n`;
}

/** A `parseArgs` error in our words: "compose: unknown option --frob" rather than Node's advice about `--`. */
function parseMessage(e: NodeJS.ErrnoException, command: string): string {
  const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '(.*?)'\./s.exec(e.message) : null;
  const text = unknown === null ? e.message : `unknown option ${unknown[1]}`;
  return command === '' ? text : `${command}: ${text}`;
}

function reportError(err: unknown, io: CliIO, command: string): number {
  // Messages carry paths, arguments and text from files: every one is escaped before it reaches the terminal.
  if (err instanceof UsageError) {
    io.err(usageLine(err.message, command));
    return 2;
  }
  if (err instanceof VBLoRAError) {
    io.err(`vblora: ${err.name}: ${printable(oneLine(err.message))}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (PARSE_ERRORS.has(String(e?.code))) {
    io.err(usageLine(parseMessage(e, command), command));
    return 2;
  }
  if (FILE_ERRORS.has(String(e?.code))) {
    io.err(`vblora: ${e.code}: ${printable(oneLine(e.message))}\n`);
    return 1;
  }
  const stack = (err as Error)?.stack ?? String(err);
  io.err(`vblora: internal error: ${stack.split('\n').map(printable).join('\n')}\n`);
  return 70;
}
