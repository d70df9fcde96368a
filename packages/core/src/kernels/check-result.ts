/**
 * `checkKernelResult`: whether what a kernel returned is what its contract promises — a host tensor where the
 * kernel has one output, an object holding every named output otherwise, each of the declared dtype and of the
 * shape the arguments imply. Values are not compared here (that is the conformance kit's job).
 * @module
 */
import { ShapeError } from '../errors.js';
import { DTYPE_ARRAY, type DType } from '../tensor/dtype.js';
import { formatShape, numel } from '../tensor/host-tensor.js';
import { KERNEL_ARG_CHECKS, type KernelArgs, type KernelDims } from './check-args.js';
import type { TensorInfo } from './check.js';
import { KERNEL_CONTRACTS, type KernelName } from './kernel-set.js';

/** The dtype and shape one output must have. */
interface OutputSpec {
  readonly dtype: string;
  readonly shape: readonly number[];
}

type Shapes<K extends KernelName> = (args: KernelArgs<K>, d: KernelDims[K]) => Readonly<Record<string, readonly number[]>>;

/** Output shapes implied by valid arguments, keyed by the contract's output names. */
const OUTPUT_SHAPES: { readonly [K in KernelName]: Shapes<K> } = {
  topkAdmixture: (_, d) => ({ indices: [...d.lead, d.k], weights: [...d.lead, d.k], vectors: [...d.lead, d.vl] }),
  admixFromTopk: (_, d) => ({ vectors: [...d.lead, d.vl] }),
  logitsFromTopk: (_, d) => ({ logits: [...d.lead, d.nv] }),
  topkWeightsForSave: (_, d) => ({ indices: [...d.lead, d.k], weightsKm1: [...d.lead, d.k - 1] }),
  composeLowRank: (_, d) => ({ A: [d.r, d.inT * d.vl], B: [d.outT * d.vl, d.r] }),
  deltaWeight: (a, d) => ({ delta: a.fanInFanOut === true ? [d.inF, d.outF] : [d.outF, d.inF] }),
  merge: (a) => ({ weight: a.weight.shape }),
  unmerge: (a) => ({ weight: a.weight.shape }),
  linear: (a, d) => ({ y: [...a.x.shape.slice(0, -1), d.outF] }),
  adapterForward: (a) => ({ y: a.baseOut.shape }),
  mixedBatchForward: (_, d) => ({ y: [d.n, d.outF] }),
  admixtureBackward: (a, d) => ({ gradLogits: a.logits.shape, gradBank: [d.nv, d.vl] }),
  composeBackward: (a, d) => ({ gradLogitsA: a.logitsA.shape, gradLogitsB: a.logitsB.shape, gradBank: [d.nv, d.vl] }),
};

/** A contract's output dtype for these arguments: a dtype name, or the dtype of the input it follows. */
function outputDType(declared: string, args: Readonly<Record<string, unknown>>): string {
  if (declared === 'same as input') return (args['weight'] as TensorInfo).dtype;
  if (declared === 'x dtype') return (args['x'] as TensorInfo).dtype;
  return declared;
}

/**
 * The dtype and shape of every output of `kernel` for (valid) `args`, keyed by the contract's output names.
 * @throws {ShapeError} when `args` themselves break the contract (the kernel's argument check).
 */
export function expectedKernelOutputs<K extends KernelName>(kernel: K, args: KernelArgs<K>): Readonly<Record<string, OutputSpec>> {
  const dims = (KERNEL_ARG_CHECKS[kernel] as (a: KernelArgs<K>) => KernelDims[K])(args);
  const shapes = (OUTPUT_SHAPES[kernel] as Shapes<K>)(args, dims);
  const out: Record<string, OutputSpec> = {};
  for (const o of KERNEL_CONTRACTS[kernel].outputs) {
    out[o.name] = { dtype: outputDType(o.dtype, args as unknown as Readonly<Record<string, unknown>>), shape: shapes[o.name]! };
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
  return `a ${typeof v}`;
}

/** Throws unless `t` is a host tensor of `want.dtype` and `want.shape` whose data array fits both. */
function checkTensor(t: unknown, want: OutputSpec, what: string, where: string, kernel: string): void {
  const fail = (why: string): never => {
    throw new ShapeError(`${kernel}: ${what} ${why}`, where);
  };
  if (typeof t !== 'object' || t === null || !('dtype' in t) || !('shape' in t) || !('data' in t)) {
    fail(`must be a host tensor { dtype, shape, data }, got ${describe(t)}`);
  }
  const { dtype, shape, data } = t as { dtype: unknown; shape: unknown; data: unknown };
  if (dtype !== want.dtype) fail(`must be ${want.dtype}, got ${String(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`must have a shape of non-negative integers, got ${describe(shape)}`);
  }
  const s = shape as number[];
  if (s.length !== want.shape.length || s.some((d, i) => d !== want.shape[i])) {
    fail(`must have shape ${formatShape(want.shape)}, got ${formatShape(s)}`);
  }
  const Array_ = DTYPE_ARRAY[want.dtype as DType];
  if (!(data instanceof Array_) || data.length !== numel(s)) {
    const got = ArrayBuffer.isView(data) ? `${data.constructor.name}(${(data as unknown as ArrayLike<unknown>).length})` : describe(data);
    fail(`data must be a ${Array_.name} of ${numel(s)} elements, got ${got}`);
  }
}

/** topkWeightsForSave's `nudgedRows`: row numbers in [0, rows), strictly increasing. */
function checkNudgedRows(v: unknown, rows: number): void {
  const K = 'topkWeightsForSave';
  const ok =
    Array.isArray(v) &&
    v.every((row, i) => Number.isInteger(row) && row >= 0 && row < rows && (i === 0 || row > (v[i - 1] as number)));
  if (!ok) {
    throw new ShapeError(
      `${K}: result nudgedRows must be an array of increasing row numbers in [0, ${rows}), got ${describe(v)}`,
      'nudgedRows'
    );
  }
}

/**
 * Checks that `result` (a kernel's awaited return value for `args`) has the form of `KERNEL_CONTRACTS[kernel]`:
 * a single-output kernel returns the tensor itself (e.g. `deltaWeight` → a tensor, never `{ delta }`), a
 * multi-output kernel an object with one host tensor per output name; each of the declared dtype (index outputs
 * `i32`, `merge` the weight's dtype, forwards x's dtype) and of the shape the arguments imply, with a typed array
 * of that dtype and length. `topkWeightsForSave` must also return its `nudgedRows`. For the conformance kit and
 * for backend authors' own tests; values are not compared.
 * @throws {ShapeError} naming the kernel and the output (`where`) that is wrong, e.g.
 * `"topkAdmixture: result indices must be i32, got i16"`; also when `args` themselves are invalid.
 * @example
 * ```ts
 * const result = await backend.kernels.composeLowRank!(args);
 * checkKernelResult('composeLowRank', args, result); // A (r, in) and B (out, r), float32
 * ```
 */
export function checkKernelResult<K extends KernelName>(kernel: K, args: KernelArgs<K>, result: unknown): void {
  const outputs = expectedKernelOutputs(kernel, args);
  const names = Object.keys(outputs);
  if (names.length === 1) {
    checkTensor(result, outputs[names[0]!]!, 'the result', 'result', kernel);
    return;
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result) || ArrayBuffer.isView(result)) {
    throw new ShapeError(`${kernel}: the result must be an object with ${names.join(', ')}, got ${describe(result)}`, 'result');
  }
  const record = result as Readonly<Record<string, unknown>>;
  for (const name of names) checkTensor(record[name], outputs[name]!, `result ${name}`, name, kernel);
  if (kernel === 'topkWeightsForSave') {
    checkNudgedRows(record['nudgedRows'], (KERNEL_ARG_CHECKS.topkWeightsForSave)(args as KernelArgs<'topkWeightsForSave'>).rows);
  }
}
