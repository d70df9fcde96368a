import { toSavedConfig } from '../config/index.js';
import { logitsFromTopk, safeTopkWeights, topkWeightsForSave } from '../kernels/index.js';
import { toF32 } from '../tensor/index.js';
import type { AdapterModule, Factor, VBLoRAAdapter } from './vblora-adapter.js';

/** A converted adapter and what the conversion had to repair. */
export interface ConvertedAdapter {
  readonly adapter: VBLoRAAdapter;
  /**
   * Rows changed to stay safe in PEFT: for top-k output, rows whose largest stored weight was lowered by a few
   * float32 ulps so PEFT cannot reload them as NaN; for full output, rows whose restored weight was clamped at 0.
   */
  readonly repairs: readonly string[];
}

function withFactors(
  adapter: VBLoRAAdapter,
  topk: boolean,
  convert: (f: Factor, label: string) => Factor,
): VBLoRAAdapter {
  const modules = new Map<string, AdapterModule>();
  for (const m of adapter.modules.values()) {
    modules.set(m.path, { ...m, a: convert(m.a, `${m.path} A`), b: convert(m.b, `${m.path} B`) });
  }
  const config = toSavedConfig(adapter.config);
  config.save_only_topk_weights = topk;
  return { ...adapter, config, modules };
}

/**
 * Converts every factor to PEFT's `save_only_topk_weights` form (k indices + the k−1 largest weights). Weights are
 * always float32: PEFT cannot reload half-precision top-k weights (SPEC §5.4).
 */
export function toTopkAdapter(adapter: VBLoRAAdapter): ConvertedAdapter {
  const k = adapter.config.topk;
  const repairs: string[] = [];
  const nv = adapter.config.num_vectors;
  const converted = withFactors(adapter, true, (f, label) => {
    if (f.kind === 'topk') {
      const weights = toF32(f.weights);
      if (safeTopkWeights({ weightsKm1: weights }).repairedRows.length === 0) return { ...f, weights };
      // a file PEFT would reload as NaN (e.g. PEFT's own): rebuild its logits safely and store the rows anew
      const logits = logitsFromTopk({ indices: f.indices, weightsKm1: weights, nv, safe: true });
      const again = topkWeightsForSave({ logits, k });
      repairs.push(`${label}: rows PEFT would reload as NaN were re-stored safely`);
      return { kind: 'topk', indices: again.indices, weights: again.weightsKm1 };
    }
    const { indices, weightsKm1, nudgedRows } = topkWeightsForSave({ logits: toF32(f.logits), k });
    for (const row of nudgedRows)
      repairs.push(`${label} row ${row}: largest weight lowered so PEFT reloads it without NaN`);
    return { kind: 'topk', indices, weights: weightsKm1 };
  });
  return { adapter: converted, repairs };
}

/**
 * Converts every factor to full float32 logits. Top-k factors become PEFT's reload form: `log w` at the stored
 * indices and `-inf` elsewhere, with the restored weight clamped at 0 where PEFT would produce NaN.
 */
export function toFullAdapter(adapter: VBLoRAAdapter): ConvertedAdapter {
  const nv = adapter.config.num_vectors;
  const repairs: string[] = [];
  const converted = withFactors(adapter, false, (f, label) => {
    if (f.kind === 'logits') return f;
    const weightsKm1 = toF32(f.weights);
    const strict = logitsFromTopk({ indices: f.indices, weightsKm1, nv });
    const logits = logitsFromTopk({ indices: f.indices, weightsKm1, nv, safe: true });
    const rows = strict.data.length / nv;
    for (let row = 0; row < rows; row++) {
      for (let j = 0; j < nv; j++) {
        if (Number.isNaN(strict.data[row * nv + j]!)) {
          repairs.push(`${label} row ${row}: PEFT would reload this row as NaN; the dropped weight was clamped at 0`);
          break;
        }
      }
    }
    return { kind: 'logits', logits };
  });
  return { adapter: converted, repairs };
}
