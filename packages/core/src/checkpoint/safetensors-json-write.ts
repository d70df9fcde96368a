/**
 * JSON string literals exactly as serde_json writes them (what the Rust safetensors writer uses).
 * @module
 * @internal
 */

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const SHORT: Readonly<Record<number, string>> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };

/**
 * Quotes a string the serde_json way: `"` and `\` backslash-escaped, `\b \t \n \f \r` short forms, other
 * C0 controls as `\u00xx` (lower-case hex); everything else, DEL and non-ASCII included, is written raw.
 * The caller must have rejected lone surrogates (Rust strings cannot hold them).
 * @internal
 */
export function serdeJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else out += SHORT[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/** Index of the first lone UTF-16 surrogate in `s`, or -1 when `s` is well-formed Unicode. @internal */
export function loneSurrogateIndex(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}
