import { BANK_KEY, factorKey } from '@vblora/core';
import { fail, pick, isTopk, isFull, type Defect } from './common.js';

/** adapter_config.json disagreeing with the tensors, or broken itself. */
export const CONFIG_DEFECTS: readonly Defect[] = [
  // ---- adapter_config.json against the tensors ----
  {
    name: 'config-num-vectors',
    apply: (p, rnd) => {
      const nv = Math.max(1, p.spec.nv + pick(rnd, [-1, 1, 7, -p.spec.nv + 1]));
      p.config['num_vectors'] = nv;
      return p.spec.k > nv ? { kind: 'error', outcome: 'ConfigError' } : fail('adapter-shape', BANK_KEY);
    },
  },
  {
    name: 'config-vector-length',
    apply: (p, rnd) => {
      p.config['vector_length'] = p.spec.vl + (p.spec.vl > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      return fail('adapter-shape', BANK_KEY);
    },
  },
  {
    name: 'config-r',
    apply: (p, rnd) => {
      p.config['r'] = p.spec.r + (p.spec.r > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      return fail('adapter-rank', p.paths[0]);
    },
  },
  {
    name: 'config-topk',
    apply: (p, rnd) => {
      const k = p.spec.k + (p.spec.k > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      p.config['topk'] = k;
      if (k > p.spec.nv) return { kind: 'error', outcome: 'ConfigError' };
      if (isFull(p.spec)) return { kind: 'load', finite: true };
      return fail('adapter-shape', factorKey(p.paths[0]!, 'A', 'topk_indices'));
    },
  },
  {
    name: 'config-flavour-flag',
    apply: (p) => {
      p.config['save_only_topk_weights'] = !isTopk(p.spec);
      return isTopk(p.spec)
        ? { kind: 'load', warning: /save_only_topk_weights=false/, finite: true }
        : { kind: 'load', finite: true };
    },
  },
  {
    name: 'config-peft-type',
    apply: (p, rnd) => {
      p.config['peft_type'] = pick(rnd, ['LORA', 'vblora', '', null, 1]);
      return { kind: 'error', outcome: 'ConfigError' };
    },
  },
  {
    name: 'config-unknown-key',
    apply: (p, rnd) => {
      // defineProperty: a plain assignment to "__proto__" would set the prototype instead of adding a key
      const key = pick(rnd, ['future_option', 'constructor', '__proto__', 'toString']);
      Object.defineProperty(p.config, key, {
        value: { polluted: true },
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return { kind: 'load', warning: /Unexpected keyword arguments/, finite: true };
    },
  },
];
