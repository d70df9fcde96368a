/**
 * Model folders for the reliability tests: the toy model written with external data, its locations rewritten,
 * and a scan of written files for bytes that must not be there.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeOnnxModel, encodeOnnxModel, externalDataRef, writeOnnxModel } from '@vblora/onnx';
import { toyModelBytes } from '../../fixtures/toy-models.js';

/** The golden case whose toy model the tests use (ToyLlama, float32). */
export const CASE = 'llama_f32_vl16_nv64_top2';

/** A marker that fills the "secret" files outside model folders; no output may ever contain it. */
export const SECRET = Buffer.from('SECRET-OUTSIDE-THE-MODEL-FOLDER!');

/** Writes a secret file of `size` bytes (the marker repeated) and returns its path. */
export function writeSecret(path: string, size: number): string {
  writeFileSync(path, Buffer.alloc(size, SECRET));
  return path;
}

/** Writes the toy model to `<dir>/model.onnx` + `model.onnx.data` (tensors ≥ 1 KiB external); returns the path. */
export async function externalModel(dir: string, name = 'model.onnx'): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  await writeOnnxModel(decodeOnnxModel(toyModelBytes(CASE, { style: 'named' })), path, {
    externalData: { threshold: 1024 },
  });
  return path;
}

/** Rewrites the `location` of every external initializer of the model file at `path`. */
export function relocate(path: string, location: string): void {
  const model = decodeOnnxModel(new Uint8Array(readFileSync(path)));
  for (const t of model.proto.graph!.initializer ?? []) {
    if (externalDataRef(t) === null) continue;
    for (const e of t.externalData ?? []) if (e.key === 'location') e.value = location;
  }
  writeFileSync(path, encodeOnnxModel(model.proto));
}

/** Size of the external data file the model at `path` reads (the largest offset + length). */
export function externalExtent(path: string): number {
  const model = decodeOnnxModel(new Uint8Array(readFileSync(path)));
  let end = 0;
  for (const t of model.proto.graph!.initializer ?? []) {
    const ref = externalDataRef(t);
    if (ref !== null) end = Math.max(end, ref.offset + (ref.length ?? 0));
  }
  return end;
}

/** Regular files under `dir` (links are not followed) that contain the secret marker. */
export function filesWithSecret(dir: string): string[] {
  const hits: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) hits.push(...filesWithSecret(p));
    else if (st.isFile() && readFileSync(p).includes(SECRET)) hits.push(p);
  }
  return hits;
}

/** Names in `dir` (to check that a refused write left nothing behind). */
export const listing = (dir: string): string[] => readdirSync(dir).sort();
