import { parseConfig, type VBLoRAConfig } from '../config/index.js';
import type { AdapterFloatDType, AdapterModule, Factor, VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { CheckpointFormatError, ResourceLimitError } from '../errors.js';
import { formatShape, isFloatDType, isIntDType, toF32, type HostTensor } from '../tensor/index.js';
import { BANK_KEY, parseFactorKey, type FactorKeyKind } from './adapter-keys.js';
import { findAdapterNonFinite, nonFiniteText, type AdapterNonFinite } from './non-finite.js';
import { readSafetensors, type SafetensorsFile } from './safetensors-read.js';

/** The two files of a PEFT adapter directory, as text / bytes (or already parsed). */
export interface AdapterFiles {
  /** `adapter_config.json` text, or a parsed config. */
  readonly config: string | VBLoRAConfig;
  /** `adapter_model.safetensors` bytes, or a parsed file. */
  readonly weights: Uint8Array | SafetensorsFile;
}

/** An adapter read from files, with everything worth telling the user (PEFT incompatibilities, non-finite values). */
export interface LoadedAdapter {
  readonly adapter: VBLoRAAdapter;
  readonly warnings: readonly string[];
  /** Every tensor that would compose to NaN (also among `warnings`, as text), so callers can refuse without scanning again. */
  readonly nonFinite: readonly AdapterNonFinite[];
}

/**
 * Sizes a loaded adapter may ask for, checked before anything is composed: a top-k file stores about one byte per
 * `vector_length` floats it composes to, so a 200 KB file could otherwise declare a 16 GB factor.
 */
export const ADAPTER_LOAD_LIMITS = Object.freeze({
  /** Largest in/out features of one module: 64× the largest vocabulary of a real model (2^24). */
  maxFeatures: 2 ** 24,
  /** Largest Σ r·(in + out) over all modules, i.e. the float32 A and B of every module at once (2^30 = 4 GiB). */
  maxComposedElements: 2 ** 30,
});

/** Tolerance on Σ(stored top-k weights) above 1: PEFT's own float32 softmax can exceed 1 by a few ulps (SPEC §5.4). */
const TOPK_SUM_SLACK = 1e-5;

const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
const quoteName = (key: string): string =>
  JSON.stringify(key).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

type FactorParts = Partial<Record<FactorKeyKind, { key: string; t: HostTensor }>>;

/**
 * Builds a {@link VBLoRAAdapter} from the two files of a PEFT adapter directory, validating every tensor against
 * the config (shapes, dtypes, index range). Both checkpoint flavours load; a top-k file whose rows PEFT would
 * reload as NaN loads without NaN here (the restored weight is clamped at 0).
 *
 * @example
 * ```ts
 * const { adapter, warnings } = adapterFromFiles({ config: jsonText, weights: bytes });
 * ```
 */
export function adapterFromFiles(files: AdapterFiles, name = 'default'): LoadedAdapter {
  const warnings: string[] = [];
  let config: VBLoRAConfig;
  if (typeof files.config === 'string') {
    const parsed = parseConfig(files.config);
    config = parsed.config;
    warnings.push(...parsed.warnings);
  } else {
    config = files.config;
  }
  const file = files.weights instanceof Uint8Array ? readSafetensors(files.weights) : files.weights;
  const nv = config.num_vectors;
  const vl = config.vector_length;

  let bank: HostTensor<AdapterFloatDType> | undefined;
  const parts = new Map<string, { A: FactorParts; B: FactorParts }>();
  const extraTensors = new Map<string, HostTensor>();
  for (const [key, t] of file.tensors) {
    if (CONTROL_CHAR.test(key)) {
      // No PyTorch state dict has one, and a name is printed in messages and by `vblora inspect`: an escape
      // sequence in it would drive the user's terminal.
      throw new CheckpointFormatError(`tensor name ${quoteName(key)} contains a control character`, 'adapter-key', key);
    }
    if (key === BANK_KEY) {
      bank = expectFloat(t, key);
      expectShape(t, [nv, vl], key, `(num_vectors, vector_length) from the config`);
      continue;
    }
    const parsed = parseFactorKey(key);
    if (parsed === null) {
      if (key.includes('vblora_')) {
        throw new CheckpointFormatError(
          `unexpected VB-LoRA tensor "${key}": not a bank, logits or top-k key`,
          'adapter-key',
          key,
        );
      }
      extraTensors.set(key, t);
      continue;
    }
    let entry = parts.get(parsed.path);
    if (entry === undefined) {
      entry = { A: {}, B: {} };
      parts.set(parsed.path, entry);
    }
    entry[parsed.factor][parsed.kind] = { key, t };
  }
  if (bank === undefined) {
    throw new CheckpointFormatError(
      `the checkpoint has no vector bank "${BANK_KEY}"`,
      'adapter-missing-bank',
      BANK_KEY,
    );
  }
  if (parts.size === 0) {
    throw new CheckpointFormatError(
      'the checkpoint holds no VB-LoRA module (no vblora_logits_* keys)',
      'adapter-no-modules',
    );
  }

  const modules = new Map<string, AdapterModule>();
  let sawTopk = false;
  let composed = 0;
  for (const [path, p] of parts) {
    const a = readFactor(p.A, path, 'A', config);
    const b = readFactor(p.B, path, 'B', config);
    if (a.kind === 'topk' || b.kind === 'topk') sawTopk = true;
    const [rA, inT] = factorLeadDims(a);
    const [outT, rB] = factorLeadDims(b);
    if (rA !== config.r || rB !== config.r) {
      throw new CheckpointFormatError(
        `module ${path}: rank ${rA === config.r ? rB : rA} in the checkpoint, but the config says r = ${config.r}`,
        'adapter-rank',
        path,
      );
    }
    const inFeatures = inT * vl;
    const outFeatures = outT * vl;
    checkComposedSize(path, inFeatures, outFeatures, config.r, (composed += config.r * (inFeatures + outFeatures)));
    modules.set(path, { path, inFeatures, outFeatures, a, b });
  }

  if (sawTopk && !config.save_only_topk_weights) {
    warnings.push(
      'the checkpoint stores top-k indices/weights but adapter_config.json has save_only_topk_weights=false: ' +
        'PEFT would ignore these tensors and keep random logits; vblora.js loads them.',
    );
  }
  // −inf logits are legal, but a row of nothing else has no top-k softmax: PEFT and we compose it as NaN.
  const nonFinite = findAdapterNonFinite({ bank, modules });
  warnings.push(...nonFinite.map(nonFiniteText));
  const adapter: VBLoRAAdapter = { name, config, bank, modules, extraTensors, metadata: file.metadata };
  return { adapter, warnings, nonFinite };
}

function checkComposedSize(path: string, inFeatures: number, outFeatures: number, r: number, total: number): void {
  const { maxFeatures, maxComposedElements } = ADAPTER_LOAD_LIMITS;
  if (inFeatures > maxFeatures || outFeatures > maxFeatures) {
    throw new ResourceLimitError(
      `module ${path}: ${inFeatures} → ${outFeatures} features (tiles × vector_length) is beyond ${maxFeatures}, ` +
        'far more than any real layer; refusing to compose it',
      'maxFeatures',
    );
  }
  if (total > maxComposedElements) {
    throw new ResourceLimitError(
      `composing the adapter up to module ${path} needs ${total} float32 elements (Σ r·(in + out)), ` +
        `more than ${maxComposedElements}; refusing to compose it (r = ${r})`,
      'maxComposedElements',
    );
  }
}

function factorLeadDims(f: Factor): [number, number] {
  const t = f.kind === 'logits' ? f.logits : f.indices;
  return [t.shape[0]!, t.shape[1]!];
}

function readFactor(p: FactorParts, path: string, factor: 'A' | 'B', config: VBLoRAConfig): Factor {
  const nv = config.num_vectors;
  const k = config.topk;
  if (p.logits !== undefined) {
    if (p.topk_indices !== undefined || p.topk_weights !== undefined) {
      throw new CheckpointFormatError(
        `module ${path}: factor ${factor} is stored both as logits and as top-k tensors`,
        'adapter-duplicate-factor',
        p.logits.key,
      );
    }
    const logits = expectFloat(p.logits.t, p.logits.key);
    expectRank3(logits, p.logits.key);
    if (logits.shape[2] !== nv) {
      throw new CheckpointFormatError(
        `${p.logits.key} has shape ${formatShape(logits.shape)}: its last dimension must be num_vectors = ${nv}`,
        'adapter-shape',
        p.logits.key,
      );
    }
    return { kind: 'logits', logits };
  }
  if (p.topk_indices === undefined || p.topk_weights === undefined) {
    const missing = p.topk_indices === undefined ? 'topk_indices' : 'topk_weights';
    throw new CheckpointFormatError(
      `module ${path}: factor ${factor} has neither vblora_logits_${factor} nor a complete top-k pair (missing _${missing})`,
      'adapter-missing-factor',
      path,
    );
  }
  const { key: iKey, t: indices } = p.topk_indices;
  const { key: wKey } = p.topk_weights;
  const weights = expectFloat(p.topk_weights.t, wKey);
  if (!isIntDType(indices.dtype)) {
    throw new CheckpointFormatError(
      `${iKey} has dtype ${indices.dtype}: top-k indices must be integers`,
      'adapter-dtype',
      iKey,
    );
  }
  expectRank3(indices, iKey);
  expectShape(indices, [indices.shape[0]!, indices.shape[1]!, k], iKey, `(…, topk = ${k})`);
  expectShape(
    weights,
    [indices.shape[0]!, indices.shape[1]!, k - 1],
    wKey,
    `(…, topk − 1 = ${k - 1}) matching ${iKey}`,
  );
  checkIndices(indices, nv, k, iKey);
  checkWeights(weights, k, wKey);
  return { kind: 'topk', indices, weights };
}

function checkIndices(t: HostTensor, nv: number, k: number, key: string): void {
  const data = t.data;
  const rows = data.length / k;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const v = Number(data[r * k + j]!);
      if (!(v >= 0 && v < nv)) {
        throw new CheckpointFormatError(
          `${key}[row ${r}, ${j}] = ${v} is out of range: indices must be in [0, num_vectors = ${nv})`,
          'topk-index-range',
          key,
        );
      }
      for (let i = 0; i < j; i++) {
        if (Number(data[r * k + i]!) === v) {
          throw new CheckpointFormatError(`${key}[row ${r}] selects vector ${v} twice`, 'topk-index-duplicate', key);
        }
      }
    }
  }
}

function checkWeights(t: HostTensor<AdapterFloatDType>, k: number, key: string): void {
  const values = floatValues(t);
  const km1 = k - 1;
  if (km1 === 0) return;
  const rows = values.length / km1;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < km1; j++) {
      const w = values[r * km1 + j]!;
      if (!(w >= 0 && w <= 1)) {
        throw new CheckpointFormatError(
          `${key}[row ${r}, ${j}] = ${w}: top-k weights must lie in [0, 1]`,
          'topk-weight-range',
          key,
        );
      }
      sum += w;
    }
    if (sum > 1 + TOPK_SUM_SLACK) {
      throw new CheckpointFormatError(
        `${key}[row ${r}] sums to ${sum}: the stored top-k weights must sum to at most 1`,
        'topk-weight-sum',
        key,
      );
    }
  }
}

function floatValues(t: HostTensor<AdapterFloatDType>): ArrayLike<number> {
  return toF32(t).data;
}

function expectFloat(t: HostTensor, key: string): HostTensor<AdapterFloatDType> {
  if (t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16') {
    const hint = isFloatDType(t.dtype) ? ' (f64 adapters are not produced by PEFT)' : '';
    throw new CheckpointFormatError(
      `${key} has dtype ${t.dtype}: expected F32, BF16 or F16${hint}`,
      'adapter-dtype',
      key,
    );
  }
  return t as HostTensor<AdapterFloatDType>;
}

function expectRank3(t: HostTensor, key: string): void {
  if (t.shape.length !== 3) {
    throw new CheckpointFormatError(
      `${key} has shape ${formatShape(t.shape)}: expected 3 dimensions`,
      'adapter-shape',
      key,
    );
  }
}

function expectShape(t: HostTensor, shape: readonly number[], key: string, what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointFormatError(
      `${key} has shape ${formatShape(t.shape)}: expected ${formatShape(shape)} ${what}`,
      'adapter-shape',
      key,
    );
  }
}
