/**
 * Mutations for the ONNX fuzzer's folder classes (issue #14): external data locations through symbolic links that
 * stay inside the model folder or lead out of it (to `/`, to one outside file, to an outside folder, nowhere), and
 * many initializers aliasing one external range (the same range, or overlapping ones).
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { pb, type onnx } from '../../../src/proto.js';

/** Where a location leads: inside the folder through a link (allowed), out of it through a link, or nowhere. */
export const LINK_KINDS = [
  'inside-folder-link',
  'inside-file-link',
  'root-link',
  'outside-file-link',
  'outside-folder-link',
  'dangling',
] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** Links in `models` for every kind; `dataFiles` are the names of the real data files there. */
export function makeLinks(models: string, secret: string, secretDir: string, dataFiles: readonly string[]): void {
  symlinkSync('.', join(models, 'here'));
  for (const f of dataFiles) symlinkSync(f, join(models, `${f}.link`));
  symlinkSync('/', join(models, 'rootfs'));
  symlinkSync(secret, join(models, 'secret.link'));
  symlinkSync(secretDir, join(models, 'secret-dir'));
  symlinkSync(join(models, 'nowhere.bin'), join(models, 'dangling.bin'));
}

/** The location of `kind` for a model whose own data file is `dataFile`. */
export function linkLocation(kind: LinkKind, dataFile: string, secret: string): string {
  switch (kind) {
    case 'inside-folder-link':
      return `here/${dataFile}`;
    case 'inside-file-link':
      return `${dataFile}.link`;
    case 'root-link':
      return join('rootfs', secret.slice(1));
    case 'outside-file-link':
      return 'secret.link';
    case 'outside-folder-link':
      return 'secret-dir/secret.bin';
    case 'dangling':
      return 'dangling.bin';
  }
}

/** A folder-aware mutation: it knows the model's own data file name and the secret's path. */
export type FolderMutation = ((bytes: Uint8Array, dataFile: string, secret: string) => Uint8Array) & { kind: string };

function edit(bytes: Uint8Array, fn: (g: onnx.IGraphProto) => void): Uint8Array {
  let m: onnx.ModelProto;
  try {
    m = pb.ModelProto.decode(bytes);
  } catch {
    return bytes;
  }
  if (m.graph === null || m.graph === undefined) return bytes;
  fn(m.graph);
  const out = pb.ModelProto.encode(m).finish();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const externals = (g: onnx.IGraphProto): onnx.ITensorProto[] =>
  (g.initializer ?? []).filter((t) => t.dataLocation === 1);

function setLocation(t: onnx.ITensorProto, location: string): void {
  const rest = (t.externalData ?? []).filter((e) => e.key !== 'location');
  t.externalData = [{ key: 'location', value: location }, ...rest];
}

/** Points one external initializer (or all) through a link of some kind. */
export const linkMutation: fc.Arbitrary<FolderMutation> = fc
  .record({ kind: fc.constantFrom(...LINK_KINDS), all: fc.boolean(), i: fc.nat() })
  .map(({ kind, all, i }) =>
    Object.assign(
      (bytes: Uint8Array, dataFile: string, secret: string) =>
        edit(bytes, (g) => {
          const ext = externals(g);
          const picked = all ? ext : ext.slice(i % Math.max(ext.length, 1), (i % Math.max(ext.length, 1)) + 1);
          for (const t of picked) setLocation(t, linkLocation(kind, dataFile, secret));
        }),
      {
        kind: `link:${kind}${all ? ':all' : ''}`,
        [fc.toStringMethod]: () => `${kind} (${all ? 'all' : `initializer ${i}`})`,
      },
    ),
  );

/** Appends `count` initializers reading the range of one external initializer: the same range, or shifted by 64·k. */
export const aliasMutation: fc.Arbitrary<FolderMutation> = fc
  .record({ count: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constant(2000)), overlap: fc.boolean(), i: fc.nat() })
  .map(({ count, overlap, i }) =>
    Object.assign(
      (bytes: Uint8Array) =>
        edit(bytes, (g) => {
          const ext = externals(g);
          const t = ext[i % Math.max(ext.length, 1)];
          if (t === undefined) return;
          const offset = Number((t.externalData ?? []).find((e) => e.key === 'offset')?.value ?? '0');
          for (let k = 0; k < count; k++) {
            const entries = (t.externalData ?? []).filter((e) => e.key !== 'offset');
            entries.push({ key: 'offset', value: String(offset + (overlap ? 64 * k : 0)) });
            g.initializer!.push(pb.TensorProto.create({ ...t, name: `alias.${k}`, externalData: entries }));
          }
        }),
      {
        kind: `alias:${overlap ? 'overlap' : 'same'}:${count === 2000 ? 'many' : 'few'}`,
        [fc.toStringMethod]: () => `${count} aliases${overlap ? ', overlapping' : ''}`,
      },
    ),
  );
