// Self-checking file contents for the kill test: a file is either one complete version or detectably broken.
const MAGIC = 0x5442_4b56; // "VKBT"

/** Version `gen` of `size` bytes (size ≥ 16): magic, gen, size, a body of one byte value, magic again. */
export function versionBytes(gen, size) {
  const out = new Uint8Array(size).fill(gen & 0xff); // a memset: generating a version costs almost nothing
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, gen, true);
  dv.setUint32(8, size, true);
  dv.setUint32(size - 4, MAGIC, true);
  return out;
}

/** The version number of a complete file, or -1 when the bytes are not exactly one version. */
export function versionOf(bytes) {
  if (bytes.length < 16) return -1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC || dv.getUint32(bytes.length - 4, true) !== MAGIC) return -1;
  const gen = dv.getUint32(4, true);
  if (dv.getUint32(8, true) !== bytes.length) return -1;
  for (let i = 12; i < bytes.length - 4; i++) if (bytes[i] !== (gen & 0xff)) return -1;
  return gen;
}
