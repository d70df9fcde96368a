/**
 * The view of an onnxruntime session that transformers.js gets once adapters are attached.
 *
 * transformers.js 4.3.1 runs a decoder as `sessionRun(session, pick(inputs, session.inputNames))`
 * (`src/models/session.js`, `src/models/modeling_utils.js`): it feeds exactly the names in `session.inputNames`,
 * throws for any of them it lacks ("Missing the following inputs"), builds the empty first-step cache from
 * `session.inputMetadata`, then calls `session.run(feeds)` (`src/backends/onnx.js`). It reads the session from the
 * model object's own `sessions` record on every run. So the view is put into that record of one model object — no
 * global of transformers.js or onnxruntime is touched — and it
 * - lists the model's own inputs only, so transformers.js neither asks for the `vblora.*` inputs nor warns about them;
 * - adds the `vblora.*` feeds of the adapter(s) in use to every `run`, then runs the real session;
 * - forwards everything else (outputs, `config`, `release`, profiling) to the real session unchanged.
 * @module
 */

/** What transformers.js uses of an onnxruntime `InferenceSession`. */
export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly inputMetadata?: readonly { readonly name: string }[];
  run(feeds: Record<string, unknown>, ...rest: unknown[]): Promise<unknown>;
}

/** Builds the extra feeds of one run from the feeds transformers.js passed. */
export type ExtraFeeds = (feeds: Readonly<Record<string, unknown>>) => Record<string, unknown>;

const views = new WeakSet<object>();

/** True when `session` is a view made by {@link sessionView}. @internal */
export function isSessionView(session: unknown): boolean {
  return typeof session === 'object' && session !== null && views.has(session);
}

/**
 * A proxy of `session` that hides the inputs in `hidden` and adds `extra(feeds)` to every run.
 * @internal
 */
export function sessionView<S extends SessionLike>(session: S, hidden: ReadonlySet<string>, extra: ExtraFeeds): S {
  const inputNames = session.inputNames.filter((n) => !hidden.has(n));
  const inputMetadata = session.inputMetadata?.filter((m) => !hidden.has(m.name));
  const run = (feeds: Record<string, unknown>, ...rest: unknown[]): Promise<unknown> => {
    let all: Record<string, unknown>;
    try {
      all = { ...feeds, ...extra(feeds) };
    } catch (err) {
      return Promise.reject(err);
    }
    return session.run(all, ...rest);
  };
  const view = new Proxy(session, {
    get(target, prop) {
      if (prop === 'inputNames') return inputNames;
      if (prop === 'inputMetadata') return inputMetadata;
      if (prop === 'run') return run;
      // the real session is `this` for its own getters and methods (onnxruntime keeps its handler on it)
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  views.add(view);
  return view;
}
