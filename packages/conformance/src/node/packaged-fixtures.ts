/**
 * The golden fixtures shipped in this package, read from disk (Node).
 * @module
 */
import { readFileSync } from 'node:fs';
import { peftGoldenPath } from '../fixtures.js';
import { goldenFixtureFromFiles, type GoldenFixture, type GoldenFixtures } from '../golden/golden-fixture.js';
import { PEFT_GOLDEN_CASES, type PeftGoldenCase } from '../golden/names.js';

const cache = new Map<PeftGoldenCase, GoldenFixture>();

/** Loads (once per process) one packaged golden case. */
export function loadGoldenFixture(name: PeftGoldenCase): GoldenFixture {
  let f = cache.get(name);
  if (f === undefined) {
    f = goldenFixtureFromFiles(name, (file) => {
      const b = readFileSync(peftGoldenPath(name, file));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    });
    cache.set(name, f);
  }
  return f;
}

/** The packaged golden cases (all five by default), read from the package's `fixtures/peft-golden/`. */
export function packagedGoldenFixtures(names: readonly PeftGoldenCase[] = PEFT_GOLDEN_CASES): GoldenFixtures {
  return new Map(names.map((n) => [n, loadGoldenFixture(n)] as const));
}
