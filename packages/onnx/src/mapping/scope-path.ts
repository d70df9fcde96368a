/**
 * PEFT module paths from the node names the PyTorch exporter writes: `/model/layers.0/self_attn/q_proj/MatMul` is
 * the MatMul of module `model.layers.0.self_attn.q_proj` (scopes joined by `/`, ModuleList items as `layers.0`,
 * the op name last).
 * @module
 */

/** The module path of a scoped node name, or null when the name carries no scope. */
export function modulePathFromScope(nodeName: string): string | null {
  if (!nodeName.startsWith('/')) return null;
  const parts = nodeName.slice(1).split('/');
  if (parts.length < 2 || parts.some((p) => p === '')) return null;
  return parts.slice(0, -1).join('.');
}

/** True for initializer names the exporter invents (`onnx::MatMul_123`, `_val_4`), which carry no module path. */
export function isAnonymousName(name: string): boolean {
  return name.startsWith('onnx::') || name.includes('::') || /^_?v(al)?_\d+$/.test(name);
}
