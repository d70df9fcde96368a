/**
 * Shapes shared by the safetensors reader, writer and planner.
 * @module
 */
import type { DType, HostTensor } from '../tensor/index.js';

/** The string→string `__metadata__` of a safetensors file, in file order (null-prototype when read). */
export type SafetensorsMetadata = Record<string, string>;

/** Metadata accepted by the writer: a record or a map (a map keeps any key order, a record lists integer-like keys first). */
export type SafetensorsMetadataInput = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

/** One tensor as the planner needs it: no data, only what goes into the header. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Where one tensor's bytes lie, relative to the start of the data section (the end of the header). */
export interface SafetensorsLayoutEntry extends SafetensorsEntry {
  readonly begin: number;
  readonly end: number;
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** `__metadata__`, or null when the file has none. */
  readonly metadata: SafetensorsMetadata | null;
  /** Tensors in data order (ascending `begin`; ties keep header order). */
  readonly entries: readonly SafetensorsLayoutEntry[];
  /** Absolute byte offset of the data section: 8 + header length. */
  readonly dataStart: number;
}

/** A whole safetensors file in memory. */
export interface SafetensorsFile {
  readonly metadata: SafetensorsMetadata | null;
  /** Tensors in data order; each `data` is a view into the input bytes unless it had to be copied for alignment. */
  readonly tensors: Map<string, HostTensor>;
}

/** Tensors accepted by the writer: `[name, tensor]` pairs, a map, or a plain record. */
export type SafetensorsTensorsInput =
  Iterable<readonly [string, HostTensor]> | ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>;
