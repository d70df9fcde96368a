import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeAdapter, formatShape, type FactorReport } from '@vblora/core';
import { adapterFolder, readAdapterDir } from '@vblora/core/node';
import { printable, printableJson, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { onePositional } from './args.js';
import { maxMemoryOption } from './memory-option.js';

function factorText(f: FactorReport): string {
  return f.kind === 'logits'
    ? `logits ${formatShape(f.shape)} ${f.dtype}`
    : `top-k ${formatShape(f.shape)} ${f.indexDtype}`;
}

/**
 * `vblora inspect <adapter_dir> [--json]`: config, modules, shapes, index dtype, savable params, size, warnings.
 * Every string from the files is escaped (`printable`), in the JSON too, where the escapes are JSON's own.
 */
export async function runInspect(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const dir = onePositional(args, '<adapter_dir>', 'inspect');
  const name = options.adapter ?? 'default';
  const maxMemoryBytes = maxMemoryOption(options['max-memory'], 'inspect');
  const { adapter, warnings } = await readAdapterDir(dir, name, { maxMemoryBytes });
  const report = describeAdapter(adapter);
  const fileBytes = (await stat(join(adapterFolder(dir, name), 'adapter_model.safetensors'))).size;
  if (options.json === true) {
    io.out(`${printableJson(JSON.stringify({ ...report, fileBytes, warnings }, null, 2))}\n`);
    return 0;
  }
  const p = report.parameters.adapter;
  const lines = [
    `adapter "${printable(report.name)}" — ${report.flavour === 'topk' ? 'top-k checkpoint (save_only_topk_weights)' : `${report.flavour} logits checkpoint`}`,
    `  r ${report.r}, num_vectors ${report.numVectors}, vector_length ${report.vectorLength}, topk ${report.topk}, bank ${report.bankDtype}, index dtype ${report.indexDtype}`,
    `  target_modules ${printable(JSON.stringify(report.targetModules))}, fan_in_fan_out ${report.fanInFanOut}, bias ${printable(report.bias)}, modules_to_save ${printable(JSON.stringify(report.modulesToSave))}`,
    `  peft_version ${printable(report.peftVersion ?? '(not recorded)')}`,
    `  ${report.modules.length} modules:`,
    ...report.modules.map(
      (m) => `    ${printable(m.path)}  ${m.inFeatures}→${m.outFeatures}  A ${factorText(m.a)}  B ${factorText(m.b)}`,
    ),
    ...(report.extraTensors.length > 0 ? [`  other tensors: ${printable(report.extraTensors.join(', '))}`] : []),
    `  parameters: logits ${p.logits.toLocaleString('en-US')}, bank ${p.bank.toLocaleString('en-US')}, other ${p.other.toLocaleString('en-US')}`,
    `  PEFT (full):  ${report.parameters.peftSavableFull}`,
    `  PEFT (top-k): ${report.parameters.peftSavableTopk}`,
    `  size: file ${fileBytes.toLocaleString('en-US')} bytes; tensor payload full ${report.payloadBytes.full.toLocaleString('en-US')} / top-k ${report.payloadBytes.topk.toLocaleString('en-US')} bytes`,
    ...report.peftNaNRows.map(
      (r) => `  warning: PEFT would reload ${printable(r)} as NaN (vblora.js reloads it finite)`,
    ),
    ...warnings.map((w) => `  warning: ${printable(w)}`),
  ];
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
