import pkg from 'onnx-proto';
const { onnx } = pkg;
import * as ort from 'onnxruntime-node';
function vi(name, et, dims){ return {name, type:{tensorType:{elemType:et, shape:{dim: dims.map(d=> typeof d==='string'?{dimParam:d}:{dimValue:d})}}}}; }
async function run(nodes, inputs, outputs, feeds, inits=[]) {
  const m = onnx.ModelProto.create({irVersion:8, opsetImport:[{domain:'', version:17}], producerName:'t',
    graph:{name:'g', node:nodes, input:inputs, output:outputs, initializer:inits}});
  const bytes = onnx.ModelProto.encode(m).finish();
  try { const s = await ort.InferenceSession.create(bytes); return await s.run(feeds); } catch(e){ return 'ERR '+e.message.slice(0,200); }
}
const BF=16, F=1, H=10;
// bf16 MatMul
let r;
r = await run([{opType:'Cast', input:['a'], output:['t'], attribute:[{name:'to', type:2, i:BF}]},{opType:'Cast', input:['t'], output:['y'], attribute:[{name:'to', type:2, i:F}]}], [vi('a',F,[4])],[vi('y',F,[4])],
  {a:new ort.Tensor('float32', new Float32Array([1+2**-8, 1+3*2**-8, 1+2**-8+2**-20, 3.0000001]),[4])});
console.log('cast f32->bf16', r);
r = await run([{opType:'Cast', input:['a'], output:['y'], attribute:[{name:'to', type:2, i:H}]}], [vi('a',F,[3])],[vi('y',H,[3])],
  {a:new ort.Tensor('float32', new Float32Array([1+2**-11, 1+3*2**-11, 1+2**-11+2**-20]),[3])});
console.log('cast f32->f16', r);
r = await run([{opType:'Cast', input:['a'], output:['t'], attribute:[{name:'to', type:2, i:BF}]},{opType:'MatMul', input:['t','t'], output:['u']},{opType:'Cast', input:['u'], output:['y'], attribute:[{name:'to', type:2, i:F}]}], [vi('a',F,[2,2])],[vi('y',F,[2,2])],
  {a:new ort.Tensor('float32', new Float32Array([1,2,3,4]),[2,2])});
console.log('bf16 add', r);
r = await run([{opType:'TopK', input:['a','k'], output:['v','i'], attribute:[{name:'axis',type:2,i:-1}]}], [vi('a',F,[6]), vi('k',7,[1])],[vi('v',F,[3]),vi('i',7,[3])],
  {a:new ort.Tensor('float32', new Float32Array([1,NaN,3,3,-Infinity,3]),[6]), k:new ort.Tensor('int64', new BigInt64Array([4n]),[1])});
console.log('topk', r);
