/**
 * `@vblora/webgpu` as Node imports it (the package's `node` condition): everything of the main entry, with a
 * `createBackend` that runs on Dawn instead of `navigator.gpu`.
 * @packageDocumentation
 */
export * from './index.js';
export { createBackend } from './backend/create-backend-node.js';
