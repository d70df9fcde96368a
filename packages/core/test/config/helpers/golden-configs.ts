import { readFileSync } from 'node:fs';
import { GOLDEN_CASES, goldenPath, type GoldenCase } from '../../helpers/golden-paths.js';

/** One golden `adapter_config.json`, as PEFT wrote it. */
export interface GoldenConfig {
  readonly id: string;
  readonly case: GoldenCase;
  readonly flavour: 'adapter_full' | 'adapter_topk';
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** All 10 golden configs (5 cases x full/top-k), read once. */
export const GOLDEN_CONFIGS: readonly GoldenConfig[] = GOLDEN_CASES.flatMap((c) =>
  (['adapter_full', 'adapter_topk'] as const).map((flavour) => {
    const bytes = new Uint8Array(readFileSync(goldenPath(c, flavour, 'adapter_config.json')));
    return { id: `${c}/${flavour}`, case: c, flavour, bytes, text: new TextDecoder().decode(bytes) };
  }),
);
