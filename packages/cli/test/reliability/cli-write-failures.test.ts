import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import {
  BANK_KEY,
  createConfig,
  factorKey,
  serializeConfig,
  tensor,
  toSavedConfig,
  writeSafetensors,
} from '@vblora/core';
import { peftGoldenPath } from '@vblora/conformance';
import { vblora } from '../helpers.js';
import { hostileAdapterDir } from '../../../core/test/reliability/helpers/hostile-files.js';
import { prototypesAreClean } from '../../../core/test/reliability/helpers/outcome.js';
import {
  canMount,
  mountReadOnly,
  mountTmpfs,
  NO_MOUNT_REASON,
} from '../../../core/test/reliability/helpers/small-fs.js';

// What a user of `vblora` sees when the destination is full or read-only, or the input is hostile: exit 1, one
// line naming the typed error, the old output untouched and nothing partial left — fast, with no hang.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-fail-'));
const unmounts: (() => void)[] = [];
afterAll(() => {
  for (const u of unmounts.reverse()) u();
  rmSync(tmp, { recursive: true, force: true });
});
const TOPK = peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk');
const FULL = peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_full');
const OLD = new Uint8Array(16 * 1024).fill(9);

function needMount(ctx: TestContext): void {
  if (!canMount && process.env['CI'] !== 'true') ctx.skip(NO_MOUNT_REASON);
}

function snapshot(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
}

function expectOneTypedLine(stderr: string, name: string, text: string): void {
  expect(stderr).toMatch(new RegExp(`^vblora: ${name}: [^\\n]*\\n$`));
  expect(stderr).toContain(text);
}

describe('vblora writing to a full or read-only destination', () => {
  it('compose onto a full disk: exit 1, WriteError, the old output intact', async (ctx) => {
    needMount(ctx);
    const dir = join(tmp, 'full-compose');
    unmounts.push(mountTmpfs(dir, 64));
    writeFileSync(join(dir, 'out.safetensors'), OLD);
    const before = snapshot(dir);
    const r = await vblora('compose', TOPK, '-o', join(dir, 'out.safetensors'));
    expect(r.status).toBe(1);
    expectOneTypedLine(r.stderr, 'WriteError', 'the disk is full');
    expect(snapshot(dir)).toEqual(before);
  });

  it('convert onto a full disk over an old adapter: exit 1, the old adapter intact', async (ctx) => {
    needMount(ctx);
    const dir = join(tmp, 'full-convert');
    unmounts.push(mountTmpfs(dir, 64));
    expect((await vblora('convert', FULL, '-o', dir, '--topk-only')).status).toBe(0); // 13 KB: fits
    const before = snapshot(dir);
    const r = await vblora('convert', TOPK, '-o', dir, '--full'); // 122 KB: does not
    expect(r.status).toBe(1);
    expectOneTypedLine(r.stderr, 'WriteError', 'the disk is full');
    expect(snapshot(dir)).toEqual(before);
    expect((await vblora('inspect', dir)).status).toBe(0);
  });

  it('compose and convert into a read-only folder: exit 1, WriteError, nothing changed', async (ctx) => {
    needMount(ctx);
    const src = join(tmp, 'ro-src');
    mkdirSync(src);
    writeFileSync(join(src, 'out.safetensors'), OLD);
    const dir = join(tmp, 'ro');
    unmounts.push(mountReadOnly(src, dir));
    for (const argv of [
      ['compose', TOPK, '-o', join(dir, 'out.safetensors')],
      ['convert', TOPK, '-o', join(dir, 'new'), '--full'],
    ]) {
      const r = await vblora(...argv);
      expect(r.status, argv.join(' ')).toBe(1);
      expectOneTypedLine(r.stderr, 'WriteError', 'read-only file system');
    }
    expect(snapshot(dir)).toEqual(new Map([['out.safetensors', Buffer.from(OLD)]]));
  });
});

describe('vblora on hostile input', () => {
  const good = {
    config: readFileSync(join(TOPK, 'adapter_config.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(join(TOPK, 'adapter_model.safetensors'))),
  };

  it('a FIFO or /dev/zero in place of a file: exit 1 within a second, no hang', async () => {
    for (const kind of ['fifo', 'dev-zero-link'] as const) {
      for (const which of ['config', 'weights'] as const) {
        const dir = join(tmp, `hostile-${kind}-${which}`);
        await hostileAdapterDir(dir, which, kind, good, 0);
        const t0 = performance.now();
        const r = await vblora('inspect', dir);
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(r.status).toBe(1);
        expectOneTypedLine(r.stderr, 'AdapterError', 'not a regular file');
      }
    }
  });

  it('a 2 GB tensor declared in a 1 KB file: exit 1 fast, for inspect, compose and convert', async () => {
    const dir = join(tmp, 'declared-2gb');
    mkdirSync(dir);
    writeFileSync(join(dir, 'adapter_config.json'), good.config);
    const json = new TextEncoder().encode(
      '{"w":{"dtype":"F32","shape":[536870912],"data_offsets":[0,2147483648]}}'.padEnd(1016),
    );
    const file = new Uint8Array(1024);
    new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
    file.set(json, 8);
    writeFileSync(join(dir, 'adapter_model.safetensors'), file);
    for (const argv of [
      ['inspect', dir],
      ['compose', dir, '-o', join(tmp, 'x.safetensors')],
      ['convert', dir, '-o', join(tmp, 'x'), '--full'],
    ]) {
      const t0 = performance.now();
      const r = await vblora(...argv);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(r.status).toBe(1);
      expectOneTypedLine(r.stderr, 'CheckpointFormatError', '"w"');
    }
    expect(readdirSync(tmp).filter((n) => n.startsWith('x'))).toEqual([]);
  });

  it('terminal escape sequences in a tensor name or a config value never reach the terminal', async () => {
    const esc = '\u001b]0;pwned\u0007\u001b[2J';
    const t = (shape: number[]) => tensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b)));
    const config = JSON.parse(good.config) as Record<string, unknown>;
    const cases: [string, string, Uint8Array][] = [
      [
        'name',
        good.config,
        writeSafetensors(
          new Map([
            [BANK_KEY, t([64, 16])],
            [`base_model.model.x${esc}.weight`, t([1])],
          ]),
        ),
      ],
      ['bias', JSON.stringify({ ...config, bias: `x${esc}` }), good.weights],
      ['task_type', JSON.stringify({ ...config, task_type: `x${esc}` }), good.weights],
    ];
    for (const [what, configText, weights] of cases) {
      const dir = join(tmp, `escape-${what}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'adapter_config.json'), configText);
      writeFileSync(join(dir, 'adapter_model.safetensors'), weights);
      for (const argv of [
        ['inspect', dir],
        ['inspect', dir, '--json'],
      ]) {
        const r = await vblora(...argv);
        expect(r.status, what).toBe(1);
        expect(/[\u0000-\u0009\u000b-\u001f]/.test(r.stdout + r.stderr), `${what}: ${JSON.stringify(r.stderr)}`).toBe(
          false,
        );
      }
    }
  });

  it('module paths "__proto__" and "constructor" come out of inspect --json as data', async () => {
    for (const path of ['__proto__', 'constructor', 'model.__proto__.q_proj']) {
      const dir = join(tmp, `proto-${path}`);
      mkdirSync(dir);
      const t = (shape: number[]) => tensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b)).fill(0.5));
      const weights = writeSafetensors(
        new Map([
          [BANK_KEY, t([4, 2])],
          [factorKey(path, 'A', 'logits'), t([1, 1, 4])],
          [factorKey(path, 'B', 'logits'), t([1, 1, 4])],
        ]),
      );
      const config = serializeConfig(
        toSavedConfig(createConfig({ r: 1, num_vectors: 4, vector_length: 2, topk: 2, target_modules: ['x'] })),
      );
      writeFileSync(join(dir, 'adapter_config.json'), config);
      writeFileSync(join(dir, 'adapter_model.safetensors'), weights);
      const r = await vblora('inspect', dir, '--json');
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { modules: { path: string }[] };
      expect(report.modules.map((m) => m.path)).toEqual([path]);
      expect((await vblora('compose', dir, '-o', join(dir, 'c.safetensors'))).status).toBe(0);
    }
    expect(prototypesAreClean()).toBe(true);
  });
});
