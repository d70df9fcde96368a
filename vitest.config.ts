import { defineConfig } from 'vitest/config';

// Tests run against each package's TypeScript sources through the `@vblora/source` export condition,
// so `npm test` needs no build step.
export default defineConfig({
  resolve: { conditions: ['@vblora/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@vblora/source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
