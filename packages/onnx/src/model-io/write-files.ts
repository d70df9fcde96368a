/**
 * The files a model write touches, settled before any is created: the external data files it reads (real paths
 * inside the source model's folder, each a regular file holding every range it is asked for), the data file it
 * writes (inside the output's folder by real path), and the rule that no output is one of the inputs.
 * @internal
 * @module
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '@vblora/core';
import { realPathOf, refuseAliasedOutputs, resolveInside } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import type { onnx } from '../proto.js';
import { externalDataRef, resolveExternalPath } from './external-data.js';
import type { OnnxModel } from './onnx-model.js';
import { tensorByteLength } from './tensor-data.js';

/** An external data file that a write reads from. */
export interface SourceFile {
  /** Real path (no links left in it). */
  readonly real: string;
  readonly size: number;
}

/**
 * Resolves and checks the external data of every initializer the write copies (those in `skip` are replaced,
 * not read): each location inside the model's folder, a regular file, long enough for the tensor's range.
 * Returns location → file.
 * @throws {OnnxModelError} `external-data` on the first location or range that fails.
 */
export async function resolveSources(model: OnnxModel, skip: ReadonlySet<string>): Promise<Map<string, SourceFile>> {
  const files = new Map<string, SourceFile>();
  for (const t of model.proto.graph!.initializer ?? []) {
    const ref = externalDataRef(t);
    if (ref === null || skip.has(t.name ?? '')) continue;
    const name = t.name ?? '(unnamed)';
    let file = files.get(ref.location);
    if (file === undefined) {
      const real = await resolveExternalPath(model.baseDir, ref.location, name);
      const st = await stat(real).catch((cause: unknown) => {
        throw new OnnxModelError(`tensor ${name}: cannot read external data file ${real}`, 'external-data', name, {
          cause,
        });
      });
      if (!st.isFile())
        throw new OnnxModelError(
          `tensor ${name}: external data ${ref.location} is not a regular file`,
          'external-data',
          name,
        );
      file = { real, size: st.size };
      files.set(ref.location, file);
    }
    checkRange(t, ref.offset, file.size, ref.location);
  }
  return files;
}

function checkRange(t: onnx.ITensorProto, offset: number, size: number, location: string): void {
  const name = t.name ?? '(unnamed)';
  const end = offset + tensorByteLength(t);
  if (end > size) {
    throw new OnnxModelError(
      `tensor ${name}: external data file ${location} ends before byte ${end} (it has ${size})`,
      'external-data',
      name,
    );
  }
}

/** Where the written data file goes. */
export interface OutputData {
  /** The path as the caller sees it: `location` beside the output model. */
  readonly path: string;
  /** Where the temporary file is renamed to: the real folder of `path`, and its name (a link there is replaced, never followed). */
  readonly target: string;
}

/**
 * Resolves the data file `location` of a model written to `modelPath`: it, and the folder it goes in, must be
 * inside the output's folder once links are followed; a link at its place may not lead out (nor dangle).
 * @throws {PathError} `outside-folder` when it would leave the folder.
 * @throws {ConfigError} when it is the model file itself.
 */
export async function resolveOutputData(modelPath: string, location: string): Promise<OutputData> {
  const folder = dirname(resolve(modelPath));
  const what = `external data file of ${modelPath}`;
  await resolveInside(folder, location, what);
  const root = await realPathOf(folder);
  const lexical = resolve(root, location);
  const sub = relative(root, dirname(lexical));
  const parent = sub === '' ? root : await resolveInside(folder, sub, what);
  const target = join(parent, basename(lexical));
  if (target === (await realPathOf(modelPath))) {
    throw new ConfigError(
      `the external data location ${JSON.stringify(location)} is the model file ${modelPath} itself; choose another`,
    );
  }
  return { path: join(dirname(modelPath), location), target };
}

/**
 * Refuses a write whose outputs (the model, its data file) are one of its inputs: the source model file or any
 * external data file read, by any name, link or hard link.
 * @throws {PathError} `output-aliases-input`.
 */
export async function refuseOverwritingInputs(
  model: OnnxModel,
  outputs: readonly string[],
  sources: ReadonlyMap<string, SourceFile>,
): Promise<void> {
  const inputs = [...(model.path == null ? [] : [model.path]), ...[...sources.values()].map((s) => s.real)];
  if (inputs.length > 0) await refuseAliasedOutputs(outputs, inputs);
}
