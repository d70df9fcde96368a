/**
 * Layer kinds of the GPT-2 family (GPT-2, DistilGPT-2, the toy model of the golden fixtures).
 * @module
 */
import type { ModuleKind } from './module-info.js';

const CONV1D_SUFFIXES = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
// Token and position embeddings: 2-D weights, but `nn.Embedding`, which PEFT cannot wrap.
const EMBEDDING_SUFFIXES = ['wte', 'wpe'] as const;

const endsWithComponent = (name: string, suffix: string): boolean => name === suffix || name.endsWith(`.${suffix}`);

/**
 * A `kindOf` for {@link modulesFromStateDict} on GPT-2 style models: `transformers.pytorch_utils.Conv1D` layers
 * (`attn.c_attn`, `attn.c_proj`, `mlp.c_fc`, `mlp.c_proj`) are `'conv1d'`, the embeddings `wte`/`wpe` are
 * `'other'`, anything else (e.g. `lm_head`) is `'linear'`.
 */
export function gpt2Conv1dKind(moduleName: string): ModuleKind {
  if (CONV1D_SUFFIXES.some((s) => endsWithComponent(moduleName, s))) return 'conv1d';
  if (EMBEDDING_SUFFIXES.some((s) => endsWithComponent(moduleName, s))) return 'other';
  return 'linear';
}
