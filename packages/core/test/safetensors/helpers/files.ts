import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GOLDEN_DIR } from '../../helpers/golden-paths.js';

/** Every `.safetensors` file under the golden dir, as paths relative to it, sorted. */
export function goldenSafetensorsFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.safetensors')) out.push(relative(GOLDEN_DIR, p));
    }
  };
  walk(GOLDEN_DIR);
  return out.sort();
}

/** A golden file's bytes in a fresh, 8-aligned buffer of its own. */
export function readGolden(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(GOLDEN_DIR, rel)));
}

/** A safetensors file from a header text (taken as is, no padding) and data bytes. */
export function buildFile(headerText: string, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

/** The JSON header text of a safetensors file (padding included). */
export function headerText(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}
