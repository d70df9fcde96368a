import { join } from 'node:path';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '../checkpoint/adapter-keys.js';
import { loraToFiles } from '../convert/lora-files.js';
import type { LoraCheckpoint } from '../convert/to-lora.js';
import { makeFolder, writeErrorFor, writeFileAtomic } from './atomic-write.js';

/**
 * Writes a converted LoRA checkpoint into `dir` as PEFT's `save_as_lora` does (`adapter_model.safetensors`, then
 * `adapter_config.json`, each atomically), creating the folder when needed. Returns the folder.
 * @throws {WriteError} when the files cannot be written.
 * @example
 * ```ts
 * await writeLoraDir('./lora-out', await toLoraAdapter(adapter, { rank: 2 }));
 * ```
 */
export async function writeLoraDir(dir: string, lora: LoraCheckpoint): Promise<string> {
  const files = loraToFiles(lora);
  await makeFolder(dir).catch((err: unknown) => {
    throw writeErrorFor(dir, err);
  });
  await writeFileAtomic(join(dir, ADAPTER_WEIGHTS_FILE), files.weights);
  await writeFileAtomic(join(dir, ADAPTER_CONFIG_FILE), files.config);
  return dir;
}
