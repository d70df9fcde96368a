// ESLint: correctness rules plus the import boundaries of docs/architecture.md. Formatting is Prettier's job
// (`npm run format`), so no stylistic rules here.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Backend packages: they depend on core only, never on each other. */
const BACKENDS = ['cpu', 'tfjs', 'webgpu', 'onnx'];
const PACKAGES = ['core', 'conformance', 'cli', 'transformers', ...BACKENDS];

/** What each package's src may import from the workspace (itself included, for `@example` snippets' sake). */
const ALLOWED = {
  core: ['core'],
  cpu: ['cpu', 'core'],
  conformance: ['conformance', 'core'],
  tfjs: ['tfjs', 'core'],
  webgpu: ['webgpu', 'core'],
  onnx: ['onnx', 'core'],
  transformers: ['transformers', 'core', 'onnx'],
};

/**
 * Files of a browser-capable package that only Node loads: src/node/**, node.ts, *-node.ts, and the modules
 * reached only from a Node entry of the package.json exports (conformance's `.`/`./fixtures`, onnx's default
 * `.` condition — its `browser` condition is web.ts).
 */
const NODE_ONLY = [
  'packages/*/src/node/**',
  'packages/*/src/node.ts',
  'packages/*/src/**/*-node.ts',
  'packages/conformance/src/fixtures.ts',
  'packages/onnx/src/folder/**',
  'packages/onnx/src/model-io/external-data.ts',
  'packages/onnx/src/model-io/read-model.ts',
  'packages/onnx/src/model-io/write-files.ts',
  'packages/onnx/src/model-io/write-model.ts',
  'packages/onnx/src/runtime/node-ort.ts',
];

/** `no-restricted-imports` options for a package's src (options of one rule do not merge, so build them whole). */
function boundaries(pkg, { node, cpu }) {
  const patterns = [
    {
      group: ['@vblora/*/src', '@vblora/*/src/**', '@vblora/*/dist', '@vblora/*/dist/**'],
      message: 'Import a package through its exports map, never its src/ or dist/.',
    },
  ];
  const forbidden = PACKAGES.filter((p) => !ALLOWED[pkg].includes(p));
  if (forbidden.length > 0) {
    patterns.push({
      group: forbidden.flatMap((p) => [`@vblora/${p}`, `@vblora/${p}/*`]),
      message: `Dependencies point one way (docs/architecture.md): ${pkg} may import only ${ALLOWED[pkg]
        .map((p) => `@vblora/${p}`)
        .join(', ')}.`,
    });
  }
  if (node) {
    patterns.push({
      group: ['node:*', ...builtinModules.filter((m) => !m.startsWith('_'))],
      message:
        'This module is reachable from a browser entry: Node built-ins belong in src/node/, node.ts or *-node.ts.',
    });
  }
  if (cpu) {
    patterns.push({
      regex: '(^|/)cpu(/|\\.js$)',
      message: "Core's adapter code must not reach into the cpu backend: ask the backend for a capability instead.",
    });
  }
  return { 'no-restricted-imports': ['error', { patterns }] };
}

const srcOf = (pkg) => [`packages/${pkg}/src/**/*.ts`];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/coverage/',
      '**/.turbo/',
      'docs/',
      'demo-output/',
      'apps/playground/artifacts/',
      '**/fixtures/',
      '**/*.generated.ts',
      '**/.vblora-tmp-*',
      '**/.tmp-*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        // Node and browsers alike; TypeScript checks what exists where.
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        WebAssembly: 'readonly',
        structuredClone: 'readonly',
        globalThis: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  {
    rules: {
      // A leading underscore marks a value left unused on purpose (an interface's argument, a key dropped by rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Terminal-safety and PEFT-message code matches control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // The mutation tests' rewrites switch kernels to these imports by exact text edits (test/mutation/mutants.ts).
    files: ['packages/conformance/examples/tiny-backend.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { setInterval: 'readonly', clearInterval: 'readonly' } },
  },
  // Import boundaries, one block per package source tree; later blocks replace the rule for their files.
  ...Object.keys(ALLOWED).map((pkg) => ({ files: srcOf(pkg), rules: boundaries(pkg, { node: true, cpu: false }) })),
  { files: ['packages/core/src/adapter/**/*.ts'], rules: boundaries('core', { node: true, cpu: true }) },
  ...Object.keys(ALLOWED).map((pkg) => ({
    files: NODE_ONLY.filter((g) => g.startsWith('packages/*/') || g.startsWith(`packages/${pkg}/`)).map((g) =>
      g.replace('packages/*/', `packages/${pkg}/`),
    ),
    rules: boundaries(pkg, { node: false, cpu: false }),
  })),
);
