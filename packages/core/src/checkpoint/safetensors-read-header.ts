/**
 * Reading and validating a safetensors header from the first 8 + N bytes of a file, so huge files can be planned
 * before any tensor data is touched.
 *
 * Checks everything the official Rust reader checks (header length bound, UTF-8, JSON, `{` first, dtype names,
 * shape × dtype size = byte span, offsets contiguous from 0 and covering the data section exactly) and more:
 * duplicate keys, unknown entry fields, `__proto__` keys, nesting depth, safe-integer sizes and a data-size cap.
 *
 * Keys named `__proto__` (tensor or metadata) are rejected with rule `forbidden-key`: no real checkpoint has
 * them and later code may copy names into plain objects. `constructor`, `prototype` and the like are accepted;
 * they are harmless because tensors live in a `Map` and metadata in a null-prototype object.
 * @module
 */
import { CheckpointFormatError, ConfigError, ResourceLimitError, UnsupportedError } from '../errors.js';
import { DTYPE_BYTES } from '../tensor/index.js';
import { dtypeFromSafetensorsName, isSafetensorsDTypeName, safetensorsByteSize } from './safetensors-dtypes.js';
import { parseHeaderJson, type JsonNode, type JsonObject } from './safetensors-json-parse.js';
import { resolveSafetensorsLimits, type SafetensorsLimits } from './safetensors-limits.js';
import type { SafetensorsHeader, SafetensorsLayoutEntry, SafetensorsMetadata } from './safetensors-types.js';

/** Options of the safetensors reader: the caps of {@link SafetensorsLimits}, each optional. */
export type ReadSafetensorsHeaderOptions = Partial<SafetensorsLimits>;

const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'] as const;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // keep a BOM so that `{`-first catches it

const q = (s: string): string => JSON.stringify(s);

/**
 * Validates the 8-byte length prefix and returns the size of the whole header (8 + N), i.e. how many leading
 * bytes {@link readSafetensorsHeader} needs. Only the first 8 bytes of `prefix` are read.
 */
export function safetensorsHeaderSize(
  prefix: Uint8Array,
  fileSize: number,
  options: ReadSafetensorsHeaderOptions = {},
): number {
  const limits = resolveSafetensorsLimits(options);
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
    throw new ConfigError(`fileSize must be a non-negative safe integer, got ${String(fileSize)}`, 'fileSize');
  }
  if (fileSize < 8) {
    throw new CheckpointFormatError(
      `safetensors file has ${fileSize} bytes; it needs at least 8 (the header length)`,
      'file-length',
    );
  }
  if (prefix.length < 8) {
    throw new CheckpointFormatError(
      `safetensors header length needs the first 8 bytes, got ${prefix.length}`,
      'header-length',
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(limits.maxHeaderBytes)) {
    throw new ResourceLimitError(
      `safetensors header declares ${n} bytes, more than maxHeaderBytes = ${limits.maxHeaderBytes}`,
      'maxHeaderBytes',
    );
  }
  const total = 8 + Number(n);
  if (total > fileSize) {
    throw new CheckpointFormatError(
      `safetensors header declares ${n} bytes but the file has only ${fileSize - 8} after the length prefix`,
      'header-length',
    );
  }
  return total;
}

/**
 * Parses and validates the header of a safetensors file of `fileSize` bytes from its first bytes `prefix`
 * (at least 8 + N of them; the whole file works too). Entries come back in data order.
 * @example
 * ```ts
 * const { entries, dataStart } = readSafetensorsHeader(firstBytes, fileSize);
 * ```
 */
export function readSafetensorsHeader(
  prefix: Uint8Array,
  fileSize: number,
  options: ReadSafetensorsHeaderOptions = {},
): SafetensorsHeader {
  const limits = resolveSafetensorsLimits(options);
  const dataStart = safetensorsHeaderSize(prefix, fileSize, limits);
  if (prefix.length < dataStart) {
    throw new CheckpointFormatError(
      `safetensors header needs the first ${dataStart} bytes, only ${prefix.length} were given`,
      'header-length',
    );
  }
  let text: string;
  try {
    text = utf8.decode(prefix.subarray(8, dataStart));
  } catch (cause) {
    throw new CheckpointFormatError('safetensors header is not valid UTF-8', 'header-utf8', undefined, { cause });
  }
  if (text.charCodeAt(0) === 0xfeff) {
    throw new CheckpointFormatError('safetensors header must start with "{", not a byte-order mark', 'header-start');
  }
  const root = parseHeaderJson(text, limits.maxDepth);
  if (root.kind !== 'object') {
    throw new CheckpointFormatError(
      `safetensors header must be a JSON object, got a JSON ${root.kind}`,
      'header-not-object',
    );
  }
  if (!text.startsWith('{')) {
    throw new CheckpointFormatError(
      'safetensors header must start with "{" (no leading whitespace or BOM)',
      'header-start',
    );
  }

  const dataSize = fileSize - dataStart;
  let metadata: SafetensorsMetadata | null = null;
  let declared = 0;
  const entries: SafetensorsLayoutEntry[] = [];
  for (const [name, node] of root.members) {
    if (name === '__proto__') {
      throw new CheckpointFormatError(
        'safetensors header has a key "__proto__", which is not allowed',
        'forbidden-key',
        name,
      );
    }
    if (name === '__metadata__') {
      metadata = readMetadata(node);
      continue;
    }
    const entry = readEntry(name, node, dataSize);
    declared += entry.end - entry.begin;
    entries.push(entry);
  }
  if (declared > limits.maxTotalBytes) {
    throw new ResourceLimitError(
      `safetensors tensors declare ${declared} bytes in total, more than maxTotalBytes = ${limits.maxTotalBytes}`,
      'maxTotalBytes',
    );
  }
  // Stable sort: zero-size tensors sharing an offset keep their header order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkCoverage(entries, dataSize);
  return { metadata, entries, dataStart };
}

function readMetadata(node: JsonNode): SafetensorsMetadata | null {
  // serde reads `"__metadata__": null` as "no metadata", so we do too.
  if (node.kind === 'literal' && node.value === null) return null;
  if (node.kind !== 'object') {
    throw new CheckpointFormatError(
      `safetensors "__metadata__" must be an object of strings, got a JSON ${node.kind}`,
      'metadata',
    );
  }
  const out = Object.create(null) as SafetensorsMetadata;
  for (const [key, value] of node.members) {
    if (key === '__proto__') {
      throw new CheckpointFormatError(
        'safetensors "__metadata__" has a key "__proto__", which is not allowed',
        'forbidden-key',
      );
    }
    if (value.kind !== 'string') {
      throw new CheckpointFormatError(
        `safetensors "__metadata__" value of ${q(key)} must be a string, got a JSON ${value.kind}`,
        'metadata',
      );
    }
    out[key] = value.value;
  }
  return out;
}

function readEntry(name: string, node: JsonNode, dataSize: number): SafetensorsLayoutEntry {
  const where = `safetensors tensor ${q(name)}`;
  if (node.kind !== 'object') {
    throw new CheckpointFormatError(
      `${where} must be an object {dtype, shape, data_offsets}, got a JSON ${node.kind}`,
      'entry',
      name,
    );
  }
  const fields = entryFields(name, node);

  const dtypeNode = fields.dtype;
  if (dtypeNode.kind !== 'string') {
    throw new CheckpointFormatError(
      `${where}: dtype must be a string such as "F32", got a JSON ${dtypeNode.kind}`,
      'dtype',
      name,
    );
  }
  const dtype = dtypeFromSafetensorsName(dtypeNode.value);
  if (dtype === undefined) {
    if (isSafetensorsDTypeName(dtypeNode.value)) {
      throw new UnsupportedError(
        `${where}: dtype ${dtypeNode.value} is valid safetensors but not supported by vblora.js`,
      );
    }
    throw new CheckpointFormatError(
      `${where}: unknown dtype ${q(dtypeNode.value)} (valid: BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)`,
      'dtype',
      name,
    );
  }

  const shape = intList(fields.shape, `${where}: shape`, 'shape', name);
  const offsets = intList(fields.data_offsets, `${where}: data_offsets`, 'offsets', name);
  const [begin, end] = offsets;
  if (offsets.length !== 2 || begin === undefined || end === undefined) {
    throw new CheckpointFormatError(
      `${where}: data_offsets must be [begin, end], got ${offsets.length} numbers`,
      'offsets',
      name,
    );
  }
  if (begin > end) {
    throw new CheckpointFormatError(`${where}: data_offsets [${begin}, ${end}] has begin > end`, 'offsets', name);
  }

  const bytes = safetensorsByteSize(dtype, shape);
  if (bytes === undefined) {
    throw new CheckpointFormatError(
      `${where}: shape [${shape.join(', ')}] × ${DTYPE_BYTES[dtype]} bytes overflows 2^53 − 1`,
      'shape-overflow',
      name,
    );
  }
  if (end - begin !== bytes) {
    throw new CheckpointFormatError(
      `${where}: ${dtypeNode.value} shape [${shape.join(', ')}] needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      'byte-span',
      name,
    );
  }
  if (end > dataSize) {
    throw new CheckpointFormatError(
      `${where}: data_offsets [${begin}, ${end}] run past the end of the file (the data section has ${dataSize} bytes)`,
      'coverage',
      name,
    );
  }
  return { name, dtype, shape, begin, end };
}

function entryFields(name: string, node: JsonObject): Record<(typeof ENTRY_FIELDS)[number], JsonNode> {
  const found = new Map<string, JsonNode>(node.members);
  for (const key of found.keys()) {
    if (!(ENTRY_FIELDS as readonly string[]).includes(key)) {
      throw new CheckpointFormatError(
        `safetensors tensor ${q(name)} has an unknown field ${q(key)} (allowed: dtype, shape, data_offsets)`,
        'entry',
        name,
      );
    }
  }
  const get = (key: (typeof ENTRY_FIELDS)[number]): JsonNode => {
    const v = found.get(key);
    if (v === undefined) {
      throw new CheckpointFormatError(`safetensors tensor ${q(name)} has no ${key} field`, 'entry', name);
    }
    return v;
  };
  return { dtype: get('dtype'), shape: get('shape'), data_offsets: get('data_offsets') };
}

function intList(node: JsonNode, what: string, rule: string, name: string): number[] {
  if (node.kind !== 'array') {
    throw new CheckpointFormatError(
      `${what} must be an array of non-negative integers, got a JSON ${node.kind}`,
      rule,
      name,
    );
  }
  return node.items.map((item, k) => {
    const raw = item.kind === 'number' ? item.raw : undefined;
    if (raw === undefined || !DECIMAL.test(raw)) {
      const got = raw ?? `a JSON ${item.kind}`;
      throw new CheckpointFormatError(`${what}[${k}] must be a non-negative integer, got ${got}`, rule, name);
    }
    const v = Number(raw);
    if (!Number.isSafeInteger(v)) {
      throw new CheckpointFormatError(
        `${what}[${k}] = ${raw} exceeds 2^53 − 1, the largest size JS can address`,
        rule,
        name,
      );
    }
    return v;
  });
}

function checkCoverage(entries: readonly SafetensorsLayoutEntry[], dataSize: number): void {
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected) {
      throw new CheckpointFormatError(
        `safetensors tensor ${q(e.name)} at [${e.begin}, ${e.end}] overlaps the previous tensor, which ends at ${expected}`,
        'overlap',
        e.name,
      );
    }
    if (e.begin > expected) {
      throw new CheckpointFormatError(
        `safetensors tensor ${q(e.name)} starts at ${e.begin} but the previous data ends at ${expected}: offsets must be contiguous`,
        'coverage',
        e.name,
      );
    }
    expected = e.end;
  }
  if (expected !== dataSize) {
    const last = entries[entries.length - 1];
    throw new CheckpointFormatError(
      `safetensors data section has ${dataSize} bytes but the tensors cover only ${expected}` +
        (last ? ` (last tensor: ${q(last.name)})` : ' (no tensors)'),
      'trailing-bytes',
      last?.name,
    );
  }
}
