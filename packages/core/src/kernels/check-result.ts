/**
 * `checkKernelResult` / `kernelResultProblems`: whether what a kernel returned is what its contract promises — a host tensor where the
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

/** The dtype and shape one output of a kernel must have. */
export interface OutputSpec {
  readonly dtype: string;
  readonly shape: readonly number[];
}

type Shapes<K extends KernelName> = (
  args: KernelArgs<K>,
  d: KernelDims[K],
) => Readonly<Record<string, readonly number[]>>;

/** Output shapes implied by valid arguments, keyed by the contract's output names. */
const OUTPUT_SHAPES: { readonly [K in KernelName]: Shapes<K> } = {
  topkAdmixture: (_, d) => ({ indices: [...d.lead, d.k], weights: [...d.lead, d.k], vectors: [...d.lead, d.vl] }),
  admixFromTopk: (_, d) => ({ vectors: [...d.lead, d.vl] }),
  logitsFromTopk: (_, d) => ({ logits: [...d.lead, d.nv] }),
  topkWeightsForSave: (_, d) => ({ indices: [...d.lead, d.k], weightsKm1: [...d.lead, d.k - 1] }),
  topkReload: (_, d) => ({ indices: [...d.lead, d.k], weights: [...d.lead, d.k] }),
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
export function expectedKernelOutputs<K extends KernelName>(
  kernel: K,
  args: KernelArgs<K>,
): Readonly<Record<string, OutputSpec>> {
  const dims = (KERNEL_ARG_CHECKS[kernel] as (a: KernelArgs<K>) => KernelDims[K])(args);
  const shapes = (OUTPUT_SHAPES[kernel] as Shapes<K>)(args, dims);
  const out: Record<string, OutputSpec> = {};
  for (const o of KERNEL_CONTRACTS[kernel].outputs) {
    out[o.name] = {
      dtype: outputDType(o.dtype, args as unknown as Readonly<Record<string, unknown>>),
      shape: shapes[o.name]!,
    };
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
  return `a ${typeof v}`;
}

/** One thing wrong with a result: the output it concerns (`result` for the whole) and what is wrong. */
export interface ResultProblem {
  readonly where: string;
  readonly message: string;
}

/** Why `t` is not a host tensor of `want.dtype` and `want.shape` with a data array fitting both; undefined if it is. */
function tensorProblem(t: unknown, want: OutputSpec, what: string): string | undefined {
  if (typeof t !== 'object' || t === null || !('dtype' in t) || !('shape' in t) || !('data' in t)) {
    return `${what} must be a host tensor { dtype, shape, data }, got ${describe(t)}`;
  }
  const { dtype, shape, data } = t as { dtype: unknown; shape: unknown; data: unknown };
  if (dtype !== want.dtype) return `${what} must be ${want.dtype}, got ${String(dtype)}`;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    return `${what} must have a shape of non-negative integers, got ${describe(shape)}`;
  }
  const s = shape as number[];
  if (s.length !== want.shape.length || s.some((d, i) => d !== want.shape[i])) {
    return `${what} must have shape ${formatShape(want.shape)}, got ${formatShape(s)}`;
  }
  const Array_ = DTYPE_ARRAY[want.dtype as DType];
  if (!(data instanceof Array_) || data.length !== numel(s)) {
    const got = ArrayBuffer.isView(data)
      ? `${data.constructor.name}(${(data as unknown as ArrayLike<unknown>).length})`
      : describe(data);
    return `${what} data must be a ${Array_.name} of ${numel(s)} elements, got ${got}`;
  }
  return undefined;
}

/** Why topkWeightsForSave's `nudgedRows` is not increasing row numbers in [0, rows); undefined if it is. */
function nudgedRowsProblem(v: unknown, rows: number): string | undefined {
  const ok =
    Array.isArray(v) &&
    v.every((row, i) => Number.isInteger(row) && row >= 0 && row < rows && (i === 0 || row > (v[i - 1] as number)));
  return ok
    ? undefined
    : `result nudgedRows must be an array of increasing row numbers in [0, ${rows}), got ${describe(v)}`;
}

/**
 * Everything wrong with `result` (a kernel's awaited return value for `args`) by `KERNEL_CONTRACTS[kernel]`, each
 * message starting with the kernel's name; empty when the result has the contract's form (see
 * {@link checkKernelResult} for the rules).
 * @throws {ShapeError} when `args` themselves are invalid (the kernel's argument check).
 */
export function kernelResultProblems<K extends KernelName>(
  kernel: K,
  args: KernelArgs<K>,
  result: unknown,
): ResultProblem[] {
  const outputs = expectedKernelOutputs(kernel, args);
  const names = Object.keys(outputs);
  const problems: ResultProblem[] = [];
  const add = (where: string, message: string | undefined): void => {
    if (message !== undefined) problems.push({ where, message: `${kernel}: ${message}` });
  };
  if (names.length === 1) {
    add('result', tensorProblem(result, outputs[names[0]!]!, 'the result'));
    return problems;
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result) || ArrayBuffer.isView(result)) {
    add('result', `the result must be an object with ${names.join(', ')}, got ${describe(result)}`);
    return problems;
  }
  const record = result as Readonly<Record<string, unknown>>;
  for (const name of names) add(name, tensorProblem(record[name], outputs[name]!, `result ${name}`));
  if (kernel === 'topkWeightsForSave') {
    const { rows } = KERNEL_ARG_CHECKS.topkWeightsForSave(args as KernelArgs<'topkWeightsForSave'>);
    add('nudgedRows', nudgedRowsProblem(record['nudgedRows'], rows));
  }
  return problems;
}

/**
 * Checks that `result` (a kernel's awaited return value for `args`) has the form of `KERNEL_CONTRACTS[kernel]`:
 * a single-output kernel returns the tensor itself (e.g. `deltaWeight` → a tensor, never `{ delta }`), a
 * multi-output kernel an object with one host tensor per output name; each of the declared dtype (index outputs
 * `i32`, `merge` the weight's dtype, forwards x's dtype) and of the shape the arguments imply, with a typed array
 * of that dtype and length. `topkWeightsForSave` must also return its `nudgedRows`. Values are not compared.
 * @throws {ShapeError} for the first problem, naming the kernel and, in `where`, the output, e.g.
 * `"topkAdmixture: result indices must be i32, got i16"`; also when `args` themselves are invalid.
 * @example
 * ```ts
 * const result = await backend.kernels.composeLowRank!(args);
 * checkKernelResult('composeLowRank', args, result); // A (r, in) and B (out, r), float32
 * ```
 */
export function checkKernelResult<K extends KernelName>(kernel: K, args: KernelArgs<K>, result: unknown): void {
  const [first] = kernelResultProblems(kernel, args, result);
  if (first !== undefined) throw new ShapeError(first.message, first.where);
}
