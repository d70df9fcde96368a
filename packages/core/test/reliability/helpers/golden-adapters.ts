import { readFileSync } from 'node:fs';
import { GOLDEN_CASES, goldenPath } from '../../helpers/golden-paths.js';

/** One of PEFT's golden adapter directories, as bytes. */
export interface GoldenAdapter {
  readonly id: string;
  readonly config: string;
  readonly weights: Uint8Array;
}

/** All 10 golden adapters (5 cases × full / top-k), each in its own 8-aligned buffer. */
export const GOLDEN_ADAPTERS: readonly GoldenAdapter[] = GOLDEN_CASES.flatMap((c) =>
  (['adapter_full', 'adapter_topk'] as const).map((flavour) => ({
    id: `${c}/${flavour}`,
    config: readFileSync(goldenPath(c, flavour, 'adapter_config.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(goldenPath(c, flavour, 'adapter_model.safetensors'))),
  })),
);
