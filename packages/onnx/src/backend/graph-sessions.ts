/**
 * One onnxruntime session per kernel graph variant, built on first use and reused: kernel graphs have symbolic
 * dimensions, so a variant serves every shape.
 * @module
 */
import { encodeOnnxModel } from '../model-io/decode-model.js';
import type { onnx } from '../proto.js';
import { ortTensor, type OrtModule, type OrtSessionLike, type OrtTensorLike } from '../runtime/ort-module.js';
import type { FeedData } from '../runtime/stack-feeds.js';

/** Output tensors of one run, by name. */
export type OrtOutputs = Readonly<Record<string, OrtTensorLike>>;

/** A cache of kernel-graph sessions. */
export class GraphSessions {
  private readonly sessions = new Map<string, Promise<OrtSessionLike>>();

  /** `ort` gives the onnxruntime module on first use (so that it is loaded only when a kernel runs). */
  constructor(
    private readonly options: object,
    private readonly ort: () => OrtModule,
  ) {}

  /** Runs the graph variant `key` (built by `build` the first time) on `feeds`. */
  async run(
    key: string,
    build: () => onnx.IModelProto,
    feeds: Readonly<Record<string, FeedData>>,
  ): Promise<OrtOutputs> {
    const ort = this.ort();
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = ort.InferenceSession.create(encodeOnnxModel(build()), this.options);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, ortTensor(ort.Tensor, f)]));
    return (await session).run(tensors);
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
