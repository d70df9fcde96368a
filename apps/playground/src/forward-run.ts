import type { HostTensor } from '@vblora/core';

/** What one backend measured and produced for a model forward with the adapter. */
export interface ForwardRun {
  /** Backend that composed A/B of every module, and how long it took. */
  readonly composeOn: string;
  readonly composeMs: number;
  /** Backend of the model forward, the first run (which compiles kernels) and a second run. */
  readonly forwardOn: string;
  readonly forwardFirstMs: number;
  readonly forwardMs: number;
  /** Output with the adapter, and of the base model alone. */
  readonly out: HostTensor<'f32'>;
  readonly baseOut: HostTensor<'f32'>;
}
