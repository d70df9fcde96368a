import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '../checkpoint/adapter-keys.js';
import { adapterFromFiles, type LoadedAdapter } from '../checkpoint/adapter-read.js';
import { adapterToFiles } from '../checkpoint/adapter-write.js';
import { DEFAULT_CONFIG_LIMITS } from '../config/index.js';
import { AdapterError, ConfigError, UnsupportedError } from '../errors.js';
import { makeFolder, writeErrorFor, writeFileAtomic } from './atomic-write.js';
import { MAX_WHOLE_FILE_BYTES, readBoundedFile } from './read-bounded.js';

/** Folder of adapter `name` inside a PEFT save directory: `default` is the directory itself, others a sub-folder. */
export function adapterFolder(dir: string, name = 'default'): string {
  return name === 'default' ? dir : join(dir, name);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `adapter_config.json` bytes as text; invalid UTF-8 is a ConfigError, as it is for `parseConfig(bytes)`. */
function decodeConfig(bytes: Uint8Array, path: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new ConfigError(`${path} is not valid UTF-8`, undefined, { cause });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Reads a PEFT adapter directory (`adapter_config.json` + `adapter_model.safetensors`); a non-default adapter name
 * is read from its sub-folder, as PEFT saves it.
 *
 * @example
 * ```ts
 * const { adapter, warnings } = await readAdapterDir('./my-adapter');
 * ```
 */
export async function readAdapterDir(dir: string, name = 'default'): Promise<LoadedAdapter> {
  const folder = adapterFolder(dir, name);
  const configPath = join(folder, ADAPTER_CONFIG_FILE);
  const weightsPath = join(folder, ADAPTER_WEIGHTS_FILE);
  if (!(await exists(configPath))) {
    throw new AdapterError(`no ${ADAPTER_CONFIG_FILE} in ${folder}: not a PEFT adapter directory`);
  }
  if (!(await exists(weightsPath))) {
    if (await exists(join(folder, 'adapter_model.bin'))) {
      throw new UnsupportedError(
        `${folder} holds adapter_model.bin (a pickle): vblora.js reads only safetensors; re-save it in PEFT with safe_serialization=True`,
      );
    }
    throw new AdapterError(`no ${ADAPTER_WEIGHTS_FILE} in ${folder}`);
  }
  // Both files come from strangers: bounded reads of regular files only (no FIFO hang, no /dev/zero, no 3 GB read).
  const [configBytes, weights] = await Promise.all([
    readBoundedFile(configPath, DEFAULT_CONFIG_LIMITS.maxLength, 'maxLength'),
    readBoundedFile(weightsPath, MAX_WHOLE_FILE_BYTES, 'maxFileBytes'),
  ]);
  return adapterFromFiles({ config: decodeConfig(configBytes, configPath), weights }, name);
}

/** Lists the adapters saved in a PEFT directory: `default` when the directory itself holds one, then sub-folders. */
export async function listAdapterNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  if (await exists(join(dir, ADAPTER_CONFIG_FILE))) names.push('default');
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && (await exists(join(dir, entry.name, ADAPTER_CONFIG_FILE)))) names.push(entry.name);
  }
  return names;
}

/** Reads several adapters of one PEFT directory at once (all of them when `names` is omitted). */
export async function readAdapters(dir: string, names?: readonly string[]): Promise<Map<string, LoadedAdapter>> {
  const wanted = names ?? (await listAdapterNames(dir));
  const out = new Map<string, LoadedAdapter>();
  for (const n of wanted) out.set(n, await readAdapterDir(dir, n));
  return out;
}


/**
 * Writes an adapter as PEFT does (`<dir>/` for `default`, `<dir>/<name>/` otherwise). Each file is written
 * atomically; the weights go first, so a reader never sees a new config beside old weights.
 */
export async function writeAdapterDir(dir: string, adapter: VBLoRAAdapter): Promise<string> {
  const folder = adapterFolder(dir, adapter.name);
  const files = adapterToFiles(adapter);
  await makeFolder(folder).catch((err: unknown) => {
    throw writeErrorFor(folder, err);
  });
  await writeFileAtomic(join(folder, ADAPTER_WEIGHTS_FILE), files.weights);
  await writeFileAtomic(join(folder, ADAPTER_CONFIG_FILE), files.config);
  return folder;
}
