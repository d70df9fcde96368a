import fc from 'fast-check';

/**
 * Mutations of adapter files for the loader fuzzers: byte-level (flips, truncation, appended bytes, a rewritten
 * length prefix), value-level (special floats and integers written over one aligned element of the data section)
 * and header-level (numbers, dtypes and key names edited in the JSON header, the length prefix kept consistent).
 */
export type BytesMutation = (file: Uint8Array) => Uint8Array;
/** A mutation of `adapter_config.json` text. */
export type TextMutation = (text: string) => string;

/** The declared header length, clamped to what the (possibly already mutated) file holds. */
const headerLength = (f: Uint8Array): number =>
  f.length < 8 ? 0 : Math.min(f.length - 8, Number(new DataView(f.buffer, f.byteOffset).getBigUint64(0, true)));

function withHeaderText(f: Uint8Array, edit: (header: string) => string): Uint8Array {
  if (f.length < 8) return f;
  const n = headerLength(f);
  const text = new TextDecoder().decode(f.subarray(8, 8 + n));
  const json = new TextEncoder().encode(edit(text));
  const data = f.subarray(8 + n);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function nthMatch(text: string, re: RegExp, k: number): RegExpExecArray | undefined {
  const all = [...text.matchAll(re)];
  return all.length === 0 ? undefined : all[k % all.length];
}

function spliceMatch(text: string, m: RegExpExecArray | undefined, by: string): string {
  return m === undefined ? text : text.slice(0, m.index) + by + text.slice(m.index + m[0].length);
}

const SPECIAL_F32 = [Number.NaN, Infinity, -Infinity, 2, -1, 1.0000001, 3.4e38, -3.4e38, 1e-45, -0, 0.75];
const SPECIAL_INT = [0, 1, 63, 64, 255, 256, 299, 300, 32767, -1, -32768, 2 ** 31 - 1];
const NUMBERS = [
  '0',
  '1',
  '2',
  '3',
  '7',
  '63',
  '64',
  '65',
  '255',
  '256',
  '300',
  '4294967296',
  '9007199254740991',
  '9007199254740992',
  '18446744073709551615',
  '-1',
  '1.0',
  '1e3',
  '[]',
  'null',
];
const DTYPES = [
  'F32',
  'F16',
  'BF16',
  'F64',
  'I64',
  'I32',
  'I16',
  'U8',
  'I8',
  'U16',
  'U32',
  'U64',
  'BOOL',
  'F8_E4M3',
  'X',
];
const KEY_EDITS: readonly [RegExp, string][] = [
  [/vblora_logits_A/g, 'vblora_logits_B'],
  [/vblora_logits_B/g, 'vblora_logits_A'],
  [/_topk_indices/g, '_topk_weights'],
  [/_topk_weights/g, '_topk_indices'],
  [/vblora_vector_bank/g, 'vblora_vector_bank.default'],
  [/base_model\.model\./g, ''],
  [/layers\.0/g, 'layers.1'],
  [/q_proj/g, '__proto__'],
  [/self_attn/g, 'constructor'],
  [/q_proj/g, 'q_proj\\u001b]0;pwned\\u0007\\u001b[2J'], // terminal escapes, escaped in the JSON text: a valid name
  [/mlp/g, 'mlp\\r\\n'],
  [/"__metadata__"/g, '"__proto__"'],
  [/"format":"pt"/g, '"format":"tf"'],
];

/** Mutations of a safetensors adapter file. */
export const bytesMutation: fc.Arbitrary<BytesMutation> = fc.oneof(
  // one byte XOR-ed anywhere, or inside the header
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean()).map(([at, x, inHeader]): BytesMutation => (f) => {
    if (f.length === 0) return f;
    const out = f.slice();
    const i = inHeader ? at % Math.min(f.length, 8 + headerLength(f)) : at % f.length;
    out[i] = out[i]! ^ x;
    return out;
  }),
  // a special float32 over one aligned 4-byte element of the data section (float tensors are f32 here, or
  // bf16/f16 pairs; index tensors get the same bytes as a large or negative integer)
  fc.tuple(fc.nat(), fc.constantFrom(...SPECIAL_F32)).map(([at, v]): BytesMutation => (f) => {
    const start = 8 + headerLength(f);
    const slots = Math.floor((f.length - start) / 4);
    if (slots <= 0) return f;
    const out = f.slice();
    new DataView(out.buffer).setFloat32(start + (at % slots) * 4, v, true);
    return out;
  }),
  // a special integer over one aligned 2-byte element (u8 / i16 index tensors, bf16 bit patterns)
  fc.tuple(fc.nat(), fc.constantFrom(...SPECIAL_INT)).map(([at, v]): BytesMutation => (f) => {
    const start = 8 + headerLength(f);
    const slots = Math.floor((f.length - start) / 2);
    if (slots <= 0) return f;
    const out = f.slice();
    new DataView(out.buffer).setInt16(start + (at % slots) * 2, v, true);
    return out;
  }),
  // truncation, appended bytes, a different length prefix
  fc.nat().map(
    (at): BytesMutation =>
      (f) =>
        f.slice(0, at % (f.length + 1)),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail): BytesMutation => (f) => {
    const out = new Uint8Array(f.length + tail.length);
    out.set(f);
    out.set(tail, f.length);
    return out;
  }),
  fc
    .oneof(fc.integer({ min: -8, max: 8 }).map(BigInt), fc.constantFrom(2n ** 31n, 2n ** 63n, 2n ** 64n - 1n))
    .map((v): BytesMutation => (f) => {
      if (f.length < 8) return f;
      const out = f.slice();
      const dv = new DataView(out.buffer);
      dv.setBigUint64(0, v >= -8n && v <= 8n ? BigInt.asUintN(64, dv.getBigUint64(0, true) + v) : v, true);
      return out;
    }),
  // header edits with a consistent length prefix: numbers (shapes, offsets), dtypes, key names
  fc.tuple(fc.nat(), fc.constantFrom(...NUMBERS)).map(
    ([k, v]): BytesMutation =>
      (f) =>
        withHeaderText(f, (t) => spliceMatch(t, nthMatch(t, /\d+/g, k), v)),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...DTYPES)).map(
    ([k, d]): BytesMutation =>
      (f) =>
        withHeaderText(f, (t) => spliceMatch(t, nthMatch(t, /"dtype":"[A-Z0-9_]+"/g, k), `"dtype":"${d}"`)),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...KEY_EDITS)).map(
    ([k, [re, by]]): BytesMutation =>
      (f) =>
        withHeaderText(f, (t) => spliceMatch(t, nthMatch(t, re, k), by)),
  ),
  // swap the shapes of two tensors (a header that still covers the data, describing it wrongly)
  fc.tuple(fc.nat(), fc.nat()).map(
    ([a, b]): BytesMutation =>
      (f) =>
        withHeaderText(f, (t) => {
          const all = [...t.matchAll(/"shape":\[[^\]]*\]/g)];
          const x = all[a % Math.max(1, all.length)];
          const y = all[b % Math.max(1, all.length)];
          if (x === undefined || y === undefined || x.index === y.index) return t;
          const [first, second] = x.index < y.index ? [x, y] : [y, x];
          return (
            t.slice(0, first.index) +
            second[0] +
            t.slice(first.index + first[0].length, second.index) +
            first[0] +
            t.slice(second.index + second[0].length)
          );
        }),
  ),
);

const CONFIG_KEYS = [
  'num_vectors',
  'vector_length',
  'r',
  'topk',
  'save_only_topk_weights',
  'peft_type',
  'fan_in_fan_out',
  'target_modules',
  'bias',
  'modules_to_save',
  'layers_to_transform',
  'init_logits_std',
  'vblora_dropout',
];
const CONFIG_VALUES = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '16',
  '64',
  '255',
  '256',
  '300',
  '-1',
  '1.5',
  '1e400',
  'NaN',
  'true',
  'false',
  'null',
  '"VBLORA"',
  '"LORA"',
  '[]',
  '{}',
  '"all"',
  '["q_proj"]',
  '"\\u001b[31m"',
  '{"__proto__": {"polluted": 1}}',
];

/** Mutations of an `adapter_config.json`. */
export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.tuple(fc.constantFrom(...CONFIG_KEYS), fc.constantFrom(...CONFIG_VALUES)).map(
    ([key, v]): TextMutation =>
      (t) =>
        t.replace(new RegExp(`("${key}": )(\\[[^\\]]*\\]|\\{[^}]*\\}|[^,\\n]*)`), `$1${v}`),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0x7f })).map(([at, c]): TextMutation => (t) => {
    const i = at % Math.max(1, t.length);
    return t.slice(0, i) + String.fromCharCode(c) + t.slice(i + 1);
  }),
  fc.nat().map(
    (at): TextMutation =>
      (t) =>
        t.slice(0, at % (t.length + 1)),
  ),
);
