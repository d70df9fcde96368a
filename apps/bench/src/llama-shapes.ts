/** Module shapes of a Llama-2-7B-style model (per layer: q, k, v, o, gate, up, down). */
export interface LlamaShape {
  readonly layers: number;
  readonly hidden: number;
  readonly intermediate: number;
}

/** Llama-2-7B: 32 layers, hidden 4096, intermediate 11008 (224 adapted modules). */
export const LLAMA2_7B: LlamaShape = { layers: 32, hidden: 4096, intermediate: 11008 };

/** Every projection of the model as `{ path, in, out }`, in layer order. */
export function llamaModules(s: LlamaShape): { path: string; inFeatures: number; outFeatures: number }[] {
  const out: { path: string; inFeatures: number; outFeatures: number }[] = [];
  for (let l = 0; l < s.layers; l++) {
    for (const p of ['q', 'k', 'v', 'o']) {
      out.push({ path: `model.layers.${l}.self_attn.${p}_proj`, inFeatures: s.hidden, outFeatures: s.hidden });
    }
    out.push({ path: `model.layers.${l}.mlp.gate_proj`, inFeatures: s.hidden, outFeatures: s.intermediate });
    out.push({ path: `model.layers.${l}.mlp.up_proj`, inFeatures: s.hidden, outFeatures: s.intermediate });
    out.push({ path: `model.layers.${l}.mlp.down_proj`, inFeatures: s.intermediate, outFeatures: s.hidden });
  }
  return out;
}
