/**
 * Writing a safetensors file into one byte array, byte-identical to the Rust writer of huggingface/safetensors
 * (what `safetensors.torch.save_file` and so PEFT produce).
 *
 * Hand-written because no maintained npm library reads and writes local safetensors files; the format facts
 * come from huggingface/safetensors (`safetensors/src/tensor.rs`) and PEFT's golden files.
 * @module
 */
import { CheckpointFormatError, DTypeError, ResourceLimitError, ShapeError } from '../errors.js';
import { DTYPE_BYTES, numel, type HostTensor } from '../tensor/index.js';
import { isHostDType } from './safetensors-dtypes.js';
import { assertLittleEndianHost } from './safetensors-endian.js';
import { planSafetensors, DEFAULT_SAFETENSORS_METADATA } from './safetensors-plan.js';
import type { SafetensorsMetadataInput, SafetensorsTensorsInput } from './safetensors-types.js';

export { planSafetensors, DEFAULT_SAFETENSORS_METADATA } from './safetensors-plan.js';
export type { SafetensorsPlan } from './safetensors-plan.js';
export type { SafetensorsEntry, SafetensorsMetadataInput, SafetensorsTensorsInput } from './safetensors-types.js';

const q = (s: string): string => JSON.stringify(s);

/**
 * Serialises tensors to safetensors bytes. `metadata` defaults to `{ format: 'pt' }` (what PEFT writes);
 * `null` writes no `__metadata__`. Input order does not matter: the file order is the Rust writer's.
 * @example
 * ```ts
 * const bytes = writeSafetensors({ 'base_model.vblora_vector_bank': bank });
 * ```
 */
export function writeSafetensors(
  tensors: SafetensorsTensorsInput,
  metadata: SafetensorsMetadataInput | null = DEFAULT_SAFETENSORS_METADATA,
): Uint8Array {
  assertLittleEndianHost('writeSafetensors');
  const pairs = toPairs(tensors);
  const byName = new Map<string, HostTensor>();
  for (const [name, t] of pairs) {
    checkTensor(name, t);
    byName.set(name, t);
  }
  // The planner validates names (and rejects duplicates, which the Map above would hide) from the pair list.
  const plan = planSafetensors(
    pairs.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
    metadata,
  );
  let out: Uint8Array;
  try {
    out = new Uint8Array(plan.header.length + plan.dataSize);
  } catch (cause) {
    throw new ResourceLimitError(
      `cannot allocate ${plan.header.length + plan.dataSize} bytes for the safetensors file; stream it with planSafetensors instead`,
      'allocation',
      { cause },
    );
  }
  out.set(plan.header);
  for (const e of plan.layout) {
    const { data } = byName.get(e.name)!;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), plan.header.length + e.begin);
  }
  return out;
}

function toPairs(tensors: SafetensorsTensorsInput): (readonly [string, HostTensor])[] {
  if (typeof tensors !== 'object' || tensors === null) {
    throw new CheckpointFormatError(
      `writeSafetensors expects a map, pairs or a record, got ${String(tensors)}`,
      'entry',
    );
  }
  if (!(Symbol.iterator in tensors)) return Object.entries(tensors as Readonly<Record<string, HostTensor>>);
  const pairs: (readonly [string, HostTensor])[] = [];
  for (const item of tensors as Iterable<unknown>) {
    if (!Array.isArray(item) || item.length !== 2) {
      throw new CheckpointFormatError('writeSafetensors expects [name, tensor] pairs', 'entry');
    }
    pairs.push(item as unknown as readonly [string, HostTensor]);
  }
  return pairs;
}

function checkTensor(name: string, t: HostTensor): void {
  const where = `safetensors tensor ${q(String(name))}`;
  if (typeof t !== 'object' || t === null) {
    throw new CheckpointFormatError(
      `${where} must be a host tensor {dtype, shape, data}, got ${String(t)}`,
      'entry',
      String(name),
    );
  }
  if (!isHostDType(t.dtype)) return; // the planner reports the dtype with the list of valid names
  const { data, shape } = t;
  const width = DTYPE_BYTES[t.dtype];
  if (!ArrayBuffer.isView(data) || data instanceof DataView || data.BYTES_PER_ELEMENT !== width) {
    throw new DTypeError(`${where}: dtype ${t.dtype} needs a typed array of ${width}-byte elements`, String(name));
  }
  if (Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0) && data.length !== numel(shape)) {
    throw new ShapeError(
      `${where}: shape [${shape.join(', ')}] needs ${numel(shape)} elements, data has ${data.length}`,
      String(name),
    );
  }
}
