// The documented error set (docs/reliability.md, "Errors"): the refinements DTypeError, IndexRangeError and
// BackendDefinitionError are thrown where the docs say, are instances of the class callers caught before, and keep
// that class's `name` (the CLI prints it, the conformance kit matches on it).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackendDefinitionError,
  ConfigError,
  DTypeError,
  IndexRangeError,
  PathError,
  ShapeError,
  VBLoRAError,
} from '../../src/errors.js';
import { compareTensors, defineBackend, referenceBackend } from '../../src/index.js';
import { refuseAliasedOutputs } from '../../src/node/safe-paths.js';
import { f32, tensor } from '../../src/tensor/index.js';

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const bank = f32([4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);

describe('error set', () => {
  it('a kernel argument of the wrong dtype: DTypeError, a ShapeError named ShapeError, kind dtype', () => {
    const e = thrown(() =>
      referenceBackend.kernels.admixFromTopk!({
        indices: f32([1, 2], [0, 1]),
        weights: f32([1, 2], [0.5, 0.5]),
        bank,
      }),
    );
    expect(e).toBeInstanceOf(DTypeError);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).toBeInstanceOf(VBLoRAError);
    expect((e as ShapeError).name).toBe('ShapeError');
    expect((e as ShapeError).kind).toBe('dtype');
    expect((e as ShapeError).where).toBe('indices');
  });

  it('an index out of range: IndexRangeError, kind index-range, naming the argument', () => {
    const e = thrown(() =>
      referenceBackend.kernels.admixFromTopk!({
        indices: tensor('i32', [1, 2], Int32Array.from([0, 4])),
        weights: f32([1, 2], [0.5, 0.5]),
        bank,
      }),
    );
    expect(e).toBeInstanceOf(IndexRangeError);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).not.toBeInstanceOf(DTypeError);
    expect((e as ShapeError).name).toBe('ShapeError');
    expect((e as ShapeError).kind).toBe('index-range');
    expect((e as Error).message).toMatch(/indices\[1\] = 4 is out of range/);
  });

  it('a shape mismatch stays a plain ShapeError, kind shape', () => {
    const e = thrown(() => compareTensors(f32([2], [1, 2]), f32([3], [1, 2, 3]), { atol: 0, rtol: 0 }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).not.toBeInstanceOf(DTypeError);
    expect(e).not.toBeInstanceOf(IndexRangeError);
    expect((e as ShapeError).kind).toBe('shape');
  });

  it('comparing an integer tensor with a float tensor is a DTypeError', () => {
    const e = thrown(() =>
      compareTensors(tensor('i32', [1], Int32Array.from([1])), f32([1], [1]), { atol: 0, rtol: 0 }),
    );
    expect(e).toBeInstanceOf(DTypeError);
  });

  it('defineBackend: BackendDefinitionError, a ConfigError named ConfigError, with the field', () => {
    const e = thrown(() =>
      defineBackend({ name: 'x', precision: 'f32', isAvailable: () => true, kernels: { merge: 3 } as never }),
    );
    expect(e).toBeInstanceOf(BackendDefinitionError);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).name).toBe('ConfigError');
    expect((e as ConfigError).field).toBe('kernels.merge');
  });

  it('PathError: message, rule, path, options in that order', async () => {
    const cause = new Error('inner');
    const e = new PathError('m', 'locked', '/x', { cause });
    expect([e.message, e.rule, e.path, e.cause]).toEqual(['m', 'locked', '/x', cause]);
    const dir = await mkdtemp(join(tmpdir(), 'vblora-errors-'));
    try {
      const file = join(dir, 'a.bin');
      await writeFile(file, 'a');
      const err = await refuseAliasedOutputs([file], [file]).catch((x) => x);
      expect(err).toBeInstanceOf(PathError);
      expect((err as PathError).rule).toBe('output-aliases-input');
      expect((err as PathError).path).toBe(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ShapeError.withContext', () => {
  it('keeps the class and kind, appends the note, replaces where, chains the cause', () => {
    const inner = new DTypeError('k: A must be f32, got bf16', 'A');
    const outer = inner.withContext(' (adapter 2)', 'adapters[2]');
    expect(outer).toBeInstanceOf(DTypeError);
    expect(outer.kind).toBe('dtype');
    expect(outer.name).toBe('ShapeError');
    expect(outer.message).toBe('k: A must be f32, got bf16 (adapter 2)');
    expect(outer.where).toBe('adapters[2]');
    expect(outer.cause).toBe(inner);
  });

  it('mixedBatchForward names the adapter of a wrong-dtype factor and keeps DTypeError', () => {
    const x = f32([1, 2], [1, 2]);
    const baseOut = f32([1, 2], [0, 0]);
    const A = tensor('f16', [1, 2], Uint16Array.from([0, 0]));
    const B = f32([2, 1], [0, 0]);
    const e = thrown(() =>
      referenceBackend.kernels.mixedBatchForward!({
        x,
        baseOut,
        adapters: [{ A: A as never, B }],
        rowAdapter: Int32Array.from([0]),
      }),
    );
    expect(e).toBeInstanceOf(DTypeError);
    expect((e as ShapeError).where).toBe('adapters[0]');
    expect((e as Error).message).toMatch(/\(adapter 0\)$/);
  });
});
