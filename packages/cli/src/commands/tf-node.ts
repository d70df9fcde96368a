/**
 * TensorFlow.js in Node for the commands that run tf.js (`demo`): `@vblora/tfjs/node`'s setup, the one shared
 * with the bench and the tests (wasm binaries from node_modules, tf's notices muted), then the named tf.js backend.
 * @module
 */
export { useTfjsBackend as useTf } from '@vblora/tfjs/node';
