/**
 * Builds the targeting input from tensor names and shapes (a safetensors header, an ONNX initializer list, a
 * tfjs weight map).
 * @module
 */
import { ShapeError } from '../errors.js';
import type { ModuleInfo, ModuleKind } from './module-info.js';

/** One tensor of a state dict: its full name (`model.layers.0.mlp.up_proj.weight`) and shape. */
export interface StateDictEntry {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Options of {@link modulesFromStateDict}. */
export interface ModulesFromStateDictOptions {
  /** Kind of a module with a 2-D weight; default `'linear'` (use {@link gpt2Conv1dKind} for GPT-2 models). */
  readonly kindOf?: (moduleName: string) => ModuleKind;
  /**
   * Also list every enclosing module (`model`, `model.layers`, `model.layers.0`, …) as kind `'other'`, as
   * `named_modules()` does. PEFT matches patterns against those too: with them a pattern that hits a container
   * fails as in PEFT (unsupported layer type) instead of being ignored. Default false.
   */
  readonly includeContainers?: boolean;
}

/**
 * Lists the modules of a state dict: every `<module>.weight` becomes one module. A 2-D weight is `'linear'`
 * (stored `(out, in)`) unless `kindOf` says otherwise (`'conv1d'`: stored `(in, out)`); other ranks (norms,
 * convolutions) are `'other'`. Note that embeddings also have 2-D weights: mark them `'other'` through `kindOf`.
 *
 * Order: modules come in the order of their `.weight` tensors. A PyTorch `state_dict()` lists tensors in
 * `named_modules()` order, which is PEFT's injection order; safetensors files, however, store tensors sorted by
 * dtype and name, so pass names in the model's own order when the order matters (e.g. to replay PEFT's RNG).
 * The root module (a bare `weight` key) is skipped, as PEFT never targets the root; modules without a `.weight`
 * (activations, dropout) are invisible unless `includeContainers` lists them.
 */
export function modulesFromStateDict(
  entries: Iterable<StateDictEntry>,
  options: ModulesFromStateDictOptions = {},
): ModuleInfo[] {
  const weights = new Map<string, readonly number[]>();
  const biases = new Set<string>();
  const order: string[] = [];
  const seen = new Set<string>();
  const tensors = new Set<string>();
  const note = (module: string): void => {
    if (module !== '' && !seen.has(module)) {
      seen.add(module);
      order.push(module);
    }
  };
  for (const entry of entries) {
    const { name, shape } = validate(entry, tensors);
    const dot = name.lastIndexOf('.');
    const owner = dot < 0 ? '' : name.slice(0, dot);
    const leaf = name.slice(dot + 1);
    if (options.includeContainers === true) {
      for (let i = name.indexOf('.'); i >= 0 && i <= dot; i = name.indexOf('.', i + 1)) note(name.slice(0, i));
    }
    if (leaf === 'weight' && owner !== '') {
      weights.set(owner, shape);
      note(owner);
    } else if (leaf === 'bias') biases.add(owner);
    tensors.add(name);
  }
  return order.map((name) => describe(name, weights.get(name), biases.has(name), options.kindOf));
}

function validate(entry: StateDictEntry, tensors: ReadonlySet<string>): StateDictEntry {
  const { name, shape } = entry;
  if (typeof name !== 'string' || name === '') {
    throw new ShapeError(`state-dict entry has no name (got ${JSON.stringify(name)}); expected a tensor name`);
  }
  if (tensors.has(name)) throw new ShapeError(`tensor ${JSON.stringify(name)} is listed twice`, name);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(
      `tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`,
      name,
    );
  }
  return entry;
}

function describe(
  name: string,
  weight: readonly number[] | undefined,
  hasBias: boolean,
  kindOf: ((moduleName: string) => ModuleKind) | undefined,
): ModuleInfo {
  if (weight === undefined || weight.length !== 2)
    return { name, kind: 'other', inFeatures: 0, outFeatures: 0, hasBias };
  const kind = kindOf === undefined ? 'linear' : kindOf(name);
  if (kind !== 'linear' && kind !== 'conv1d' && kind !== 'other') {
    throw new ShapeError(
      `kindOf(${JSON.stringify(name)}) returned ${JSON.stringify(kind)}; expected 'linear', 'conv1d' or 'other'`,
      name,
    );
  }
  const [a, b] = weight as [number, number];
  return kind === 'conv1d'
    ? { name, kind, inFeatures: a, outFeatures: b, hasBias }
    : { name, kind, inFeatures: b, outFeatures: a, hasBias };
}
