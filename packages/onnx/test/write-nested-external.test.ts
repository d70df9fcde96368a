/**
 * writeOnnxModel carries over the external data of top-level initializers only; a subgraph's initializer (an `If`
 * branch) or a node attribute kept in an external file would point at the input's data from the output's folder.
 * Such a model is refused with UnsupportedError before any file is created.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '@vblora/core';
import { decodeOnnxModel, encodeOnnxModel, GraphBuilder, writeOnnxModel, type onnx } from '@vblora/onnx';
import { tempDir } from './helpers/tmp.js';

const external = (name: string): onnx.ITensorProto => ({
  name,
  dims: [4],
  dataType: 1,
  dataLocation: 1,
  externalData: [
    { key: 'location', value: 'weights.bin' },
    { key: 'offset', value: '0' },
    { key: 'length', value: '16' },
  ],
});

function modelWith(place: 'branch' | 'attribute' | 'top'): onnx.IModelProto {
  const g = new GraphBuilder('m/');
  const cond = g.input('cond', 'bool', []);
  g.output('y', 'f32', [4]);
  const branch = (tag: string): onnx.IGraphProto => ({
    name: tag,
    node: [{ opType: 'Identity', input: [`${tag}_w`], output: [`${tag}_out`] }],
    initializer: [
      place === 'branch' ? external(`${tag}_w`) : { name: `${tag}_w`, dims: [4], dataType: 1, floatData: [1, 2, 3, 4] },
    ],
    output: [{ name: `${tag}_out`, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } }],
  });
  if (place === 'attribute') {
    g.nodes.push({
      opType: 'Constant',
      output: ['c'],
      name: 'const',
      attribute: [{ name: 'value', type: 4, t: external('c_value') }],
    });
  }
  if (place === 'top') g.initializers.push(external('top_w'));
  g.nodes.push({
    opType: 'If',
    name: 'branching',
    input: [cond],
    output: ['y'],
    attribute: [
      { name: 'then_branch', type: 5, g: branch('then') },
      { name: 'else_branch', type: 5, g: branch('else') },
    ],
  });
  return g.model();
}

describe('writeOnnxModel with external data outside the top-level initializers', () => {
  const dir = tempDir('nested-external');
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(16));

  for (const place of ['branch', 'attribute'] as const) {
    it(`refuses a tensor kept externally in ${place === 'branch' ? "an If branch's initializer" : 'a node attribute'}, writing nothing`, async () => {
      const model = decodeOnnxModel(encodeOnnxModel(modelWith(place)), { baseDir: dir });
      const err = await writeOnnxModel(model, join(dir, `${place}.onnx`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect((err as Error).message).toMatch(
        place === 'branch'
          ? /then_w \(initializer of node branching \(then_branch\)\)|else_w/
          : /c_value \(attribute value of node const\)/,
      );
      expect(readdirSync(dir).sort()).toEqual(['weights.bin']);
    });
  }

  it('still writes external data of top-level initializers', async () => {
    const model = decodeOnnxModel(encodeOnnxModel(modelWith('top')), { baseDir: dir });
    const report = await writeOnnxModel(model, join(dir, 'top.onnx'), {
      externalData: { location: 'top.onnx.data', threshold: 1 },
    });
    expect(report.path).toBe(join(dir, 'top.onnx'));
    expect(existsSync(join(dir, 'top.onnx.data'))).toBe(true);
  });
});
