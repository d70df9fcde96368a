import { indexDtypeFor } from '../accounting/index.js';
import { adapterFlavour, type VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { serializeConfig, toSavedConfig } from '../config/index.js';
import { UnsupportedError } from '../errors.js';
import { DTYPE_ARRAY, tensor, type DType, type HostTensor } from '../tensor/index.js';
import { BANK_KEY, factorKey } from './adapter-keys.js';
import { writeSafetensors } from './safetensors-write.js';

/** The two files of a PEFT adapter directory, ready to be written. */
export interface AdapterFileContents {
  /** `adapter_config.json` bytes as PEFT writes them (sorted keys, indent 2, no trailing newline). */
  readonly config: string;
  /** `adapter_model.safetensors` bytes. */
  readonly weights: Uint8Array;
}

/**
 * Serialises an adapter into PEFT's two files. The flavour follows the factors: an all-logits adapter is written
 * with `save_only_topk_weights=false`, an all-top-k one with `true` (convert first with `toTopkAdapter` /
 * `toFullAdapter`). Like PEFT's `save_pretrained`, `inference_mode` is written as `true`.
 */
export function adapterToFiles(adapter: VBLoRAAdapter): AdapterFileContents {
  const flavour = adapterFlavour(adapter);
  if (flavour === 'mixed') {
    throw new UnsupportedError(
      `adapter "${adapter.name}" mixes logits and top-k factors; PEFT has no such file: convert it with toTopkAdapter or toFullAdapter first`,
    );
  }
  const indexDtype = indexDtypeFor(adapter.config.num_vectors);
  const tensors = new Map<string, HostTensor>();
  tensors.set(BANK_KEY, adapter.bank);
  for (const m of adapter.modules.values()) {
    for (const [name, f] of [
      ['A', m.a],
      ['B', m.b],
    ] as const) {
      if (f.kind === 'logits') {
        tensors.set(factorKey(m.path, name, 'logits'), f.logits);
      } else {
        tensors.set(factorKey(m.path, name, 'topk_indices'), castIndices(f.indices, indexDtype));
        tensors.set(factorKey(m.path, name, 'topk_weights'), f.weights);
      }
    }
  }
  for (const [key, t] of adapter.extraTensors) tensors.set(key, t);
  const saved = toSavedConfig(adapter.config);
  saved.save_only_topk_weights = flavour === 'topk';
  return { config: serializeConfig(saved), weights: writeSafetensors(tensors, adapter.metadata ?? { format: 'pt' }) };
}

/** Casts an integer index tensor to PEFT's index dtype for the bank size (values are already range-checked). */
function castIndices(t: HostTensor, dtype: DType): HostTensor {
  if (t.dtype === dtype) return t;
  const Ctor = DTYPE_ARRAY[dtype];
  const out = new Ctor(t.data.length);
  const big = dtype === 'i64' || dtype === 'u64';
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]!);
    (out as unknown as { [i: number]: number | bigint })[i] = big ? BigInt(v) : v;
  }
  return tensor(dtype, t.shape, out as HostTensor['data']);
}
