import { it } from 'vitest';
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
const { onnx } = onnxProto;
it('x', () => {
const t: O.ITensorProto = { name: 'x', dims: [2], dataType: 1, rawData: new Uint8Array(8) };
const bytes = onnx.TensorProto.encode(t).finish();
const d = onnx.TensorProto.decode(bytes);
console.log(d.dims, typeof d.dims[0], d.rawData.buffer === bytes.buffer, bytes.constructor.name);
});
