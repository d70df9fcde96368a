/**
 * One onnxruntime session per kernel graph variant, built on first use and reused: kernel graphs have symbolic
 * dimensions, so a variant serves every shape.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel } from '../model-io/read-model.js';
import type { onnx } from '../proto.js';

/** Output tensors of one run, by name. */
export type OrtOutputs = Readonly<Record<string, ort.Tensor>>;

/** A cache of kernel-graph sessions. */
export class GraphSessions {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(private readonly options: ort.InferenceSession.SessionOptions) {}

  /** Runs the graph variant `key` (built by `build` the first time) on `feeds`. */
  async run(key: string, build: () => onnx.IModelProto, feeds: Readonly<Record<string, ort.Tensor>>): Promise<OrtOutputs> {
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = ort.InferenceSession.create(encodeOnnxModel(build()), this.options);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return (await session).run(feeds);
  }

  /** Number of graph variants built so far. */
  get size(): number {
    return this.sessions.size;
  }

  /** Releases every session. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }
}
