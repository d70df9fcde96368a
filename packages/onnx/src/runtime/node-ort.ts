/**
 * onnxruntime-node, loaded on first use (Node): it is an optional peer, so importing `@vblora/onnx` for the graph
 * tools needs neither it nor its native library.
 * @module
 */
import { createRequire } from 'node:module';
import { BackendUnavailableError } from '@vblora/core';

type NodeOrt = typeof import('onnxruntime-node');

let loaded: NodeOrt | undefined;

/**
 * The onnxruntime-node module (the same instance an `import * as ort from 'onnxruntime-node'` gives).
 * @throws {BackendUnavailableError} when onnxruntime-node is not installed or cannot load.
 * @internal
 */
export function nodeOrt(): NodeOrt {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)('onnxruntime-node') as NodeOrt;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new BackendUnavailableError(
      `onnxruntime-node cannot be loaded (${reason}): install it (npm install onnxruntime-node), or pass another ` +
        'onnxruntime module as the `ort` option (e.g. onnxruntime-web)',
      [{ backend: 'onnxruntime-node', reason }],
      { cause: err },
    );
  }
  return loaded;
}
