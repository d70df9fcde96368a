/**
 * What a registry user installs, checked on every publishable package (packages/* not marked private), as
 * `npm run lint:packages` does: publint --strict and @arethetypeswrong/cli's ESM-only profile report nothing, and the
 * published declarations type-check in an application's tsconfig with only its environment's `lib` and `types`.
 * All of it reads the built dist/, so the packages are built first when dist/ is missing or older than src/.
 */
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { consumerTypeErrors, isOurs, type ConsumerEnv } from './helpers/consumer-types.js';
import { buildStalePackages } from './helpers/build.js';
import { entrySpecifiers, publishedPackages, ROOT, run } from './helpers/workspace.js';

const PACKAGES = publishedPackages();
const ATTW = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');

beforeAll(async () => {
  expect(await buildStalePackages(PACKAGES)).toEqual([]);
}, 600_000);

describe.each(PACKAGES)('$name', (pkg) => {
  it('publint --strict: no error, warning or suggestion', async () => {
    const result = await publint({ pkgDir: pkg.dir, strict: true, level: 'suggestion', pack: 'npm' });
    expect(
      result.messages.map((m) => `${m.type}: ${formatMessage(m, result.pkg, { color: false }) ?? m.code}`),
    ).toEqual([]);
  }, 60_000);

  it('@arethetypeswrong/cli --pack, ESM-only profile: no problem', async () => {
    // --no-definitely-typed: nothing is looked up on the registry, so the check runs offline.
    const args = [
      ATTW,
      '--pack',
      pkg.dir,
      '--profile',
      'esm-only',
      '--no-definitely-typed',
      '--format',
      'ascii',
      '--no-color',
      '--no-emoji',
    ];
    const r = await run(process.execPath, args, ROOT);
    expect(r.status, r.output).toBe(0);
  }, 120_000);
});

/**
 * Environments and the entries meant for them. Third-party declarations are not ours to fix (tf.js, onnx-proto,
 * onnxruntime-common and @webgpu/types need the DOM lib or skipLibCheck themselves), so only errors in this
 * repository's declarations count — except for `@vblora/core`, which must type-check with nothing at all.
 */
interface Environment {
  readonly id: string;
  readonly env: ConsumerEnv;
  readonly entries: readonly string[];
  readonly allErrors?: true;
}

const ENVIRONMENTS: readonly Environment[] = [
  { id: 'bare', env: { lib: ['ES2022'], types: [] }, entries: ['@vblora/core'], allErrors: true },
  {
    id: 'page',
    env: { lib: ['ES2022', 'DOM'], types: [] },
    entries: [
      '@vblora/core',
      '@vblora/cpu',
      '@vblora/tfjs',
      '@vblora/webgpu',
      '@vblora/onnx/web',
      '@vblora/conformance/web',
      '@vblora/transformers',
    ],
  },
  { id: 'node', env: { lib: ['ES2022'], types: ['node'] }, entries: PACKAGES.flatMap(entrySpecifiers) },
];

/** `<environment id>: <entry>` → why its declarations do not type-check there yet. Each fails once it passes. */
const KNOWN_FAILURES: Readonly<Record<string, string>> = {};

const CASES = ENVIRONMENTS.flatMap(({ id, env, entries, allErrors }) =>
  id === 'node'
    ? [{ key: `${id}: every entry`, env, entries, allErrors }]
    : entries.map((e) => ({ key: `${id}: ${e}`, env, entries: [e], allErrors })),
);

describe('published declarations in a consumer (skipLibCheck: false)', () => {
  it.each(CASES)(
    '$key',
    async ({ key, env, entries, allErrors }) => {
      const errors = await consumerTypeErrors(entries, env);
      const counted = (allErrors === true ? errors : errors.filter(isOurs)).map(
        (e) => `${e.file.slice(ROOT.length)}: ${e.message}`,
      );
      if (KNOWN_FAILURES[key] === undefined) expect(counted).toEqual([]);
      else expect(counted, `known failure passes now: remove '${key}' from KNOWN_FAILURES`).not.toEqual([]);
    },
    120_000,
  );

  it('every known failure names a case', () => {
    expect(Object.keys(KNOWN_FAILURES).filter((k) => !CASES.some((c) => c.key === k))).toEqual([]);
  });
});
