/** What the Node test asks the browser page to run, and what the page sends back (JSON both ways). */

/** One generation the page runs: a model folder (served under /models/), a dtype, an adapter selection. */
export interface PageStep {
  /** Model id under /models/ (the folder's name). */
  readonly folder: string;
  readonly dtype: 'fp32' | 'q4' | 'int8';
  /** Selection for a hot-swap folder (attachAdapters loaded once per model); undefined: no controller. */
  readonly use?: string | null | readonly (string | null)[];
  /** The fixture's prompt case. */
  readonly case: 'single' | 'batch';
  /** The fixture run whose tokens this step must give (per row for a per-row selection). */
  readonly expect: string | readonly string[];
}

/** The whole job: steps run in order on one device; models are loaded once per (folder, dtype). */
export interface PageJob {
  readonly device: 'wasm' | 'webgpu';
  readonly prompts: Record<'single' | 'batch', string[]>;
  readonly maxNewTokens: number;
  /** Adapter folder URLs by name, loaded into every hot-swap model. */
  readonly adapters: Record<string, string>;
  readonly steps: readonly PageStep[];
}

/** The outcome of one step. */
export interface PageStepResult {
  readonly sequences: number[][];
  /** Logits of each step, [batch × vocab], as plain numbers. */
  readonly logits: number[][];
  readonly ms: number;
  /** Time `attachAdapters` + loading every adapter took when this step's model was first used, ms. */
  readonly attachMs?: number;
}

/** What the page returns. */
export interface PageResult {
  readonly ok: boolean;
  readonly error?: string;
  /** The execution provider transformers.js ran (`wasm`, `webgpu`). */
  readonly device: string;
  readonly results: PageStepResult[];
}
