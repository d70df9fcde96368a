import type { ModelCandidate } from './model-parity.js';
import { loadOnnxInject, loadOnnxMerge } from './onnx-runs.js';
import { loadTfjsForward } from './tfjs-run.js';
import { loadWebGpuForward } from './webgpu-run.js';

/** Model-level runs the parity step tries besides the reference forward (each skipped with a note when unavailable). */
export function modelCandidates(tfBackend: string): ModelCandidate[] {
  return [
    { label: `tfjs (${tfBackend}) model`, load: loadTfjsForward },
    { label: 'onnx inject (topk)', load: () => loadOnnxInject('topk') },
    { label: 'onnx inject (lowrank)', load: () => loadOnnxInject('lowrank') },
    { label: 'onnx merge', load: loadOnnxMerge },
    { label: 'webgpu (Dawn) model', load: loadWebGpuForward },
  ];
}
