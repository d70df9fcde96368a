/**
 * The page's fixture loaders, run in Node: files given as bytes or fetched build the same suite as the packaged
 * fixtures read from disk; a wrong, missing or unreachable file fails with a FixtureError naming it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceBackend } from '@vblora/core';
import { goldenCases, PEFT_GOLDEN_DIR } from '@vblora/conformance';
import * as web from '@vblora/conformance/web';
import { describe, expect, it } from 'vitest';

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(join(PEFT_GOLDEN_DIR, path)));

/** A fetch over the packaged folder, with optional tampering. */
function diskFetch(edit: (path: string, bytes: Uint8Array) => Uint8Array | null = (_, b) => b): web.FetchLike {
  return async (url) => {
    const path = new URL(url).pathname.replace(/^\/golden\//, '');
    let bytes: Uint8Array | null;
    try {
      bytes = edit(path, read(path));
    } catch {
      bytes = null;
    }
    return bytes === null
      ? { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) }
      : { ok: true, status: 200, arrayBuffer: async () => bytes.slice().buffer };
  };
}

const BASE = 'http://fixtures.test/golden';

describe('golden fixtures without a file system', () => {
  it('bytes in memory and fetched files build the same cases as the packaged fixtures', async () => {
    const ids = goldenCases().map((c) => c.id);
    const files = new Map(web.goldenFilePaths().map((p) => [p, read(p)] as const));
    expect(web.goldenCases(web.goldenFixturesFromFiles(files)).map((c) => c.id)).toEqual(ids);
    const fetched = await web.fetchGoldenFixtures(BASE, { fetch: diskFetch() });
    expect(web.goldenCases(fetched).map((c) => c.id)).toEqual(ids);
  });

  it('a subset of the cases can be fetched and run', async () => {
    const fixtures = await web.fetchGoldenFixtures(BASE, { fetch: diskFetch(), names: ['llama_f32_vl16_nv64_top2'] });
    const report = await web.checkConformance(referenceBackend, { fixtures });
    expect(report.ok).toBe(true);
    expect(new Set(report.cases.filter((c) => c.id.includes('/golden/')).map((c) => c.id.split('/')[2]))).toEqual(
      new Set(['llama_f32_vl16_nv64_top2']),
    );
  });

  it('a file that does not match MANIFEST.sha256 is refused by name (unless verify is off)', async () => {
    const target = 'gpt2_conv1d_fan_in_fan_out_f32/summary.json';
    const tamper = diskFetch((p, b) =>
      p === target ? new TextEncoder().encode(new TextDecoder().decode(b).replace('{', '{ ')) : b,
    );
    await expect(web.fetchGoldenFixtures(BASE, { fetch: tamper })).rejects.toMatchObject({
      name: 'FixtureError',
      rule: 'sha256',
      file: target,
    });
    await expect(web.fetchGoldenFixtures(BASE, { fetch: tamper, verify: false })).resolves.toBeInstanceOf(Map);
  });

  it('an unreachable file, a missing one and no fixtures at all fail with a FixtureError', async () => {
    const target = 'edge_topk3_ties_zero_nan/base.safetensors';
    const gone = diskFetch((p, b) => (p === target ? null : b));
    await expect(web.fetchGoldenFixtures(BASE, { fetch: gone })).rejects.toMatchObject({
      name: 'FixtureError',
      rule: 'fetch',
      file: target,
    });
    const files = new Map(
      web
        .goldenFilePaths()
        .filter((p) => p !== target)
        .map((p) => [p, read(p)] as const),
    );
    expect(() => web.goldenFixturesFromFiles(files)).toThrow(
      expect.objectContaining({ rule: 'missing', file: target }),
    );
    await expect(web.checkConformance(referenceBackend, {} as never)).rejects.toMatchObject({
      name: 'FixtureError',
      rule: 'missing',
    });
  });
});
