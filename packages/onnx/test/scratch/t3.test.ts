import { it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTensors } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { PEFT_GOLDEN_CASES, peftGoldenPath } from '@vblora/conformance';
import { mergeOnnxModel, mapGraphModules, decodeOnnxModel } from '@vblora/onnx';
import { readGolden, toyModelBytes } from '../fixtures/toy-models.js';
import { runToy } from '../helpers/ort.js';
import { checkOnnxFile } from '../helpers/checker.js';
const dir = mkdtempSync(join(tmpdir(), 'vbl-'));
for (const c of PEFT_GOLDEN_CASES) for (const style of ['torch', 'named'] as const) {
it(`${c} ${style}`, async () => {
  const e = readGolden(c, 'expected.safetensors');
  const bytes = toyModelBytes(c, { style });
  const model = decodeOnnxModel(bytes.slice(), { ownsBytes: true });
  const m = mapGraphModules(model);
  console.log(c, style, m.layers.map(l => `${l.path}|${l.source}|${l.kind}|${l.layout}|${l.bias}|${l.outputDtype}`).join('\n'));
  const { adapter } = await readAdapterDir(peftGoldenPath(c, 'adapter_full'));
  const out = join(dir, `${c}-${style}.onnx`);
  const rep = await mergeOnnxModel(model, adapter, out);
  checkOnnxFile(out);
  const y = await runToy(out, e.get('input.x')!);
  const r = compareTensors(y, e.get('output.merged')!, { atol: 0, rtol: 0 });
  console.log(c, style, rep.patchedInPlace, rep.warnings, r.maxAbs, r.count);
});
}
