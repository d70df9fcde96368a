/**
 * What this package needs of an ONNX Runtime JavaScript module — `onnxruntime-node`, `onnxruntime-web` (any of
 * its builds) or another with the same API — written as structural types, so that the module is passed in and
 * none is imported here.
 * @module
 */
import { ConfigError } from '@vblora/core';
import type { FeedData } from './stack-feeds.js';

/** The part of an onnxruntime tensor this package reads. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The tensor constructor of an onnxruntime module, for the element types this package feeds. */
export interface OrtTensorConstructor {
  new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensorLike;
  new (type: 'float16', data: Uint16Array, dims: readonly number[]): OrtTensorLike;
  new (type: 'int32', data: Int32Array, dims: readonly number[]): OrtTensorLike;
  new (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensorLike;
}

/** Metadata of one session input, as onnxruntime reports it. */
export interface OrtValueMetadataLike {
  readonly name: string;
  readonly isTensor: boolean;
  /** Dimensions: numbers, or names for symbolic ones (tensors only). */
  readonly shape?: readonly (number | string)[];
}

/** The part of an onnxruntime `InferenceSession` this package uses. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Since onnxruntime 1.22; needed only to check mixed batches (`rows`). */
  readonly inputMetadata?: readonly OrtValueMetadataLike[];
  run(feeds: Readonly<Record<string, OrtTensorLike>>): Promise<Readonly<Record<string, OrtTensorLike>>>;
  release(): Promise<void>;
}

/**
 * An ONNX Runtime module: `import * as ort from 'onnxruntime-web'` (or `onnxruntime-node`) satisfies it.
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * const session = await AdapterSession.create(modelBytes, { ort });
 * ```
 */
export interface OrtModule {
  readonly Tensor: OrtTensorConstructor;
  readonly InferenceSession: {
    create(model: Uint8Array, options?: object): Promise<OrtSessionLike>;
    create(path: string, options?: object): Promise<OrtSessionLike>;
  };
}

/** The session type an onnxruntime module creates (its own, precise type). */
export type SessionOf<M extends OrtModule> = Awaited<ReturnType<M['InferenceSession']['create']>>;

/** The session options an onnxruntime module takes (its own, precise type). */
export type SessionOptionsOf<M extends OrtModule> = NonNullable<Parameters<M['InferenceSession']['create']>[1]>;

/** What `run` of session type `S` resolves to (for onnxruntime: its outputs by name). */
export type RunResultOf<S extends OrtSessionLike> = Awaited<ReturnType<S['run']>>;

/** An onnxruntime tensor holding `f`'s data (shared, not copied). */
export function ortTensor(Tensor: OrtTensorConstructor, f: FeedData): OrtTensorLike {
  const dims = [...f.dims];
  switch (f.type) {
    case 'float32':
      return new Tensor('float32', f.data as Float32Array, dims);
    case 'float16':
      return new Tensor('float16', f.data as Uint16Array, dims);
    case 'int32':
      return new Tensor('int32', f.data as Int32Array, dims);
    case 'int64':
      return new Tensor('int64', f.data as BigInt64Array, dims);
  }
}

/**
 * `ort`, checked to look like an onnxruntime module (a page's bundle gets the entry without onnxruntime-node,
 * where forgetting the option would otherwise fail deep inside with a TypeError).
 * @throws {ConfigError} when it is missing.
 * @internal
 */
export function requireOrt<M extends Partial<OrtModule>>(ort: M | undefined, what: string): M {
  if (typeof ort?.Tensor !== 'function') {
    throw new ConfigError(
      `${what} needs an onnxruntime module: pass { ort } (import * as ort from 'onnxruntime-web'); only the Node entry ` +
        'of @vblora/onnx defaults to onnxruntime-node',
      'ort',
    );
  }
  return ort;
}
