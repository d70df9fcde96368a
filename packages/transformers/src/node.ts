/**
 * `@vblora/transformers/node`: everything of `@vblora/transformers`, with {@link attachAdapters} taking file paths
 * (model folder, model file, PEFT adapter directories).
 * @module
 */
export * from './index.js';
// the Node version replaces the web entry's (an explicit export takes precedence over `export *`)
export { attachAdapters } from './attach-node.js';
