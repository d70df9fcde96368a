/**
 * `@vblora/cli`: the `vblora` command (inspect, compose, convert, merge, demo) as a library, so it can be run
 * in-process and tested.
 *
 * @example
 * ```ts
 * import { main } from '@vblora/cli';
 * const status = await main(['inspect', './my-adapter', '--json']);
 * ```
 * @packageDocumentation
 */
export { main, type Command, type CliOptions } from './main.js';
export { UsageError } from './errors.js';
export { processIO, type CliIO } from './io.js';
