import {
  adapterShapeSummary,
  adapterToFiles,
  pythonSavableParameters,
  writeSafetensors,
  tensor,
  type AdapterFileContents,
  type VBLoRAAdapter,
} from '@vblora/core';
import type { LoRAModel } from '@vblora/tfjs';

/** One row of the size table. */
export interface SizeRow {
  readonly what: string;
  readonly bytes: number;
  readonly params: number;
}

/** Stored bytes and savable parameters (PEFT's float32-equivalent count) of both VB-LoRA flavours and the LoRA. */
export function sizeTable(full: VBLoRAAdapter, files: { full: AdapterFileContents; topk: AdapterFileContents }, lora: LoRAModel): SizeRow[] {
  const summary = adapterShapeSummary(full);
  const loraTensors = new Map(
    [...lora.layers].flatMap(([path, l]) => [
      [`base_model.model.${path}.lora_A.weight`, tensor('f32', l.A.shape, l.A.dataSync() as Float32Array)] as const,
      [`base_model.model.${path}.lora_B.weight`, tensor('f32', l.B.shape, l.B.dataSync() as Float32Array)] as const,
    ]),
  );
  const loraParams = [...lora.layers.values()].reduce((s, l) => s + l.A.size + l.B.size, 0);
  return [
    { what: 'VB-LoRA, top-k file (save_only_topk_weights)', bytes: files.topk.weights.byteLength, params: pythonSavableParameters({ ...summary, saveOnlyTopkWeights: true }).vbloraParams },
    { what: 'VB-LoRA, full-logits file', bytes: files.full.weights.byteLength, params: pythonSavableParameters({ ...summary, saveOnlyTopkWeights: false }).vbloraParams },
    { what: `plain LoRA, same rank (r ${full.config.r})`, bytes: writeSafetensors(loraTensors).byteLength, params: loraParams },
  ];
}

/** Both PEFT files of both flavours. */
export function bothFlavours(vb: { exportAdapter(name?: string, o?: { flavour?: 'full' | 'topk' }): { adapter: VBLoRAAdapter } }) {
  const full = vb.exportAdapter('default').adapter;
  const topk = vb.exportAdapter('default', { flavour: 'topk' }).adapter;
  return { full, topk, files: { full: adapterToFiles(full), topk: adapterToFiles(topk) } };
}
