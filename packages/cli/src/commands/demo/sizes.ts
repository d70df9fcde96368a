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

/** The PEFT LoRA file (float32 safetensors) of a trained LoRA: its stored bytes and parameters. */
export function loraStored(lora: LoRAModel): { bytes: number; params: number } {
  const loraTensors = new Map(
    [...lora.layers].flatMap(([path, l]) => [
      [`base_model.model.${path}.lora_A.weight`, tensor('f32', l.A.shape, l.A.dataSync() as Float32Array)] as const,
      [`base_model.model.${path}.lora_B.weight`, tensor('f32', l.B.shape, l.B.dataSync() as Float32Array)] as const,
    ]),
  );
  const params = [...lora.layers.values()].reduce((s, l) => s + l.A.size + l.B.size, 0);
  return { bytes: writeSafetensors(loraTensors).byteLength, params };
}

/**
 * Stored bytes of a PEFT LoRA file of rank `r` with the same modules (and so the same shapes, rank aside) as
 * `lora`: the file written from zero tensors of those shapes (the size does not depend on the values).
 */
export function loraBytesAtRank(lora: LoRAModel, r: number): number {
  const t = new Map(
    [...lora.layers].flatMap(([path, l]) => [
      [
        `base_model.model.${path}.lora_A.weight`,
        tensor('f32', [r, l.A.shape[1]!], new Float32Array(r * l.A.shape[1]!)),
      ] as const,
      [
        `base_model.model.${path}.lora_B.weight`,
        tensor('f32', [l.B.shape[0]!, r], new Float32Array(l.B.shape[0]! * r)),
      ] as const,
    ]),
  );
  return writeSafetensors(t).byteLength;
}

/** The LoRA rank (1 … maxRank) whose stored file is closest in bytes to `bytes` (the smaller rank on a tie). */
export function equalBytesRank(lora: LoRAModel, bytes: number, maxRank: number): number {
  let best = 1;
  for (let r = 2; r <= maxRank; r++)
    if (Math.abs(loraBytesAtRank(lora, r) - bytes) < Math.abs(loraBytesAtRank(lora, best) - bytes)) best = r;
  return best;
}

/** Stored bytes and savable parameters (PEFT's float32-equivalent count) of both VB-LoRA flavours and the LoRAs. */
export function sizeTable(
  full: VBLoRAAdapter,
  files: { full: AdapterFileContents; topk: AdapterFileContents },
  lora: LoRAModel,
  loraEq?: LoRAModel,
): SizeRow[] {
  const summary = adapterShapeSummary(full);
  const same = loraStored(lora);
  const eq =
    loraEq === undefined ? [] : [{ what: `plain LoRA, equal bytes (r ${loraRank(loraEq)})`, ...loraStored(loraEq) }];
  return [
    {
      what: 'VB-LoRA, top-k file (save_only_topk_weights)',
      bytes: files.topk.weights.byteLength,
      params: pythonSavableParameters({ ...summary, saveOnlyTopkWeights: true }).vbloraParams,
    },
    {
      what: 'VB-LoRA, full-logits file',
      bytes: files.full.weights.byteLength,
      params: pythonSavableParameters({ ...summary, saveOnlyTopkWeights: false }).vbloraParams,
    },
    { what: `plain LoRA, same rank (r ${full.config.r})`, ...same },
    ...eq,
  ];
}

/** The rank of a LoRA model (the first dimension of its A matrices). */
export function loraRank(lora: LoRAModel): number {
  return [...lora.layers.values()][0]!.A.shape[0]!;
}

/** Both PEFT files of both flavours. */
export function bothFlavours(vb: {
  exportAdapter(name?: string, o?: { flavour?: 'full' | 'topk' }): { adapter: VBLoRAAdapter };
}) {
  const full = vb.exportAdapter('default').adapter;
  const topk = vb.exportAdapter('default', { flavour: 'topk' }).adapter;
  return { full, topk, files: { full: adapterToFiles(full), topk: adapterToFiles(topk) } };
}
