/**
 * External data references (large exports keep tensor bytes in side files): parsing a tensor's `external_data`
 * entries, and the reader a decoded model uses to fetch such bytes. No file access here: reading files is Node's
 * part (`external-data.ts`).
 * @module
 */
import { OnnxModelError } from '../errors.js';
import type { onnx } from '../proto.js';

/** `TensorProto.DataLocation.EXTERNAL`. */
const EXTERNAL = 1;

/** Where an external tensor's bytes are: a file relative to the model, a byte offset and an optional length. */
export interface ExternalDataRef {
  readonly location: string;
  readonly offset: number;
  /** Declared byte length, or null when the file does not say (then the tensor's size is used). */
  readonly length: number | null;
}

/**
 * Reads the `nbytes` bytes of external tensor `tensor` into a fresh buffer, within the memory budget `budget`.
 * `readOnnxModel` (Node) gives each model one that reads files inside the model's folder.
 */
export type ExternalDataReader = (
  ref: ExternalDataRef,
  nbytes: number,
  tensor: string,
  budget: number,
) => Promise<Uint8Array>;

/** The external data reference of a tensor, or null when its data are inline. @throws {OnnxModelError} on bad entries. */
export function externalDataRef(t: onnx.ITensorProto): ExternalDataRef | null {
  if (t.dataLocation !== EXTERNAL) return null;
  const name = t.name ?? '(unnamed)';
  const entries = new Map<string, string>();
  for (const e of t.externalData ?? []) entries.set(e.key ?? '', e.value ?? '');
  const location = entries.get('location');
  if (location === undefined || location === '') {
    throw new OnnxModelError(`tensor ${name} is stored externally but has no "location" entry`, 'external-data', name);
  }
  const num = (key: string): number | null => {
    const v = entries.get(key);
    if (v === undefined) return null;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw new OnnxModelError(
        `tensor ${name}: external data "${key}" is ${JSON.stringify(v)}, not a byte count`,
        'external-data',
        name,
      );
    }
    return Number(v);
  };
  return { location, offset: num('offset') ?? 0, length: num('length') };
}

/** The error for an external tensor of a model that has no folder to read it from. @internal */
export function noFolderError(location: string, tensor: string): OnnxModelError {
  return new OnnxModelError(
    `tensor ${tensor} lives in external file ${location}, but the model was decoded from bytes without a folder; ` +
      'read it with readOnnxModel(path) or pass baseDir (Node), or pass readExternal',
    'external-data',
    tensor,
  );
}
