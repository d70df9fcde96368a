/**
 * The adapters folder: each sub-folder is a PEFT adapter whose id is the sub-folder's name.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readAdapterDir, readBoundedFile } from '@vblora/core/node';
import { isAdapterId } from './adapter-id.js';

const CONFIG_FILE = 'adapter_config.json';
const WEIGHTS_FILE = 'adapter_model.safetensors';
/** Largest adapter_config.json read when choosing templates. */
const MAX_CONFIG_BYTES = 1 << 20;

/** Where an adapter's files are, and how large its weights file is. */
export interface CatalogEntry {
  readonly id: string;
  readonly dir: string;
  readonly weightsBytes: number;
}

/** Looks adapters up by id in one folder (no listing needed per request: one `stat`). */
export class AdapterCatalog {
  constructor(readonly root: string) {}

  /** The adapter's entry, or null when the folder has no adapter of that id (the id must be valid). */
  async find(id: string): Promise<CatalogEntry | null> {
    if (!isAdapterId(id)) return null;
    const dir = join(this.root, id);
    try {
      const [config, weights] = await Promise.all([stat(join(dir, CONFIG_FILE)), stat(join(dir, WEIGHTS_FILE))]);
      if (!config.isFile() || !weights.isFile()) return null;
      return { id, dir, weightsBytes: weights.size };
    } catch {
      return null;
    }
  }

  /** Ids of every adapter in the folder, sorted. */
  async list(): Promise<string[]> {
    const ids: string[] = [];
    for (const e of await readdir(this.root, { withFileTypes: true })) {
      if (e.isDirectory() && isAdapterId(e.name) && (await this.find(e.name)) !== null) ids.push(e.name);
    }
    return ids.sort();
  }

  /**
   * One adapter per distinct targeting (target modules, layers, exclusions, extra tensors) among `ids`, each one
   * that reads as an adapter: the adapters a hot-swap model must be built from so that every adapter of the folder
   * fits it. Adapters whose files cannot be read are passed over (their first request reports them).
   */
  async templates(ids: readonly string[]): Promise<string[]> {
    const groups = new Map<string, string[]>();
    for (const id of ids) {
      let c: unknown;
      try {
        const bytes = await readBoundedFile(join(this.root, id, CONFIG_FILE), MAX_CONFIG_BYTES, 'maxConfigBytes');
        c = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        continue;
      }
      if (typeof c !== 'object' || c === null) continue;
      const config = c as Record<string, unknown>;
      const key = JSON.stringify(
        ['target_modules', 'layers_to_transform', 'layers_pattern', 'exclude_modules', 'modules_to_save', 'bias'].map(
          (k) => config[k] ?? null,
        ),
      );
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    const out: string[] = [];
    for (const members of groups.values()) {
      for (const id of members) {
        try {
          await readAdapterDir(join(this.root, id));
          out.push(id);
          break;
        } catch {
          // the next of the group
        }
      }
    }
    return out;
  }
}
