/**
 * What a project gets from the registry, proved with the real tarballs: every publishable package is packed by `npm pack`
 * and installed by npm into two scratch apps outside the repository (no workspace links), one at the lowest and one at
 * the highest supported version of every runtime (tf.js, ONNX Runtime for Node and web, Dawn, transformers.js). In each,
 * a small program per package reproduces PEFT's numbers, `npx @vblora/cli` answers --version, inspect and conformance
 * for every first-party backend, and each runtime is installed once (but the copies transformers.js pins for itself).
 */
import { lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStalePackages } from './helpers/build.js';
import { runtimeDeclarations, runtimes } from './helpers/runtime-versions.js';
import {
  installedCopies,
  npmInstall,
  packPackages,
  runIn,
  writeScratchApp,
  type Finished,
} from './helpers/scratch-app.js';
import { publishedPackages } from './helpers/workspace.js';

const CI = process.env['CI'] === 'true';
const PACKAGES = publishedPackages();
const CLI = PACKAGES.find((p) => p.name === '@vblora/cli')!;
const CLI_VERSION = (JSON.parse(readFileSync(join(CLI.dir, 'package.json'), 'utf8')) as { version: string }).version;
const RUNTIMES = runtimes(PACKAGES);
const LEVELS = ['lowest', 'highest'] as const;
type Level = (typeof LEVELS)[number];
/** The PEFT golden case the programs and `inspect` read from the installed @vblora/conformance. */
const CASE = 'llama_f32_vl16_nv64_top2';
const HF = '@huggingface/transformers';
/** Time for one program or command: seconds here, minutes on a loaded machine. */
const STEP_MS = 180_000;

/** A first-party backend as `vblora conformance` loads it, and the name its report must give. */
interface CliBackend {
  readonly args: readonly string[];
  readonly backend: string;
  readonly needsGpu?: true;
}
const CLI_BACKENDS: readonly CliBackend[] = [
  { args: ['@vblora/core'], backend: 'reference' },
  { args: ['@vblora/cpu'], backend: 'cpu' },
  { args: ['@vblora/onnx'], backend: 'onnxruntime-node' },
  { args: ['@vblora/tfjs'], backend: 'tfjs-cpu' },
  { args: ['@vblora/tfjs', '--option', 'tfBackend=wasm'], backend: 'tfjs-wasm' },
  { args: ['@vblora/webgpu'], backend: 'webgpu', needsGpu: true },
];
const CLI_CONFORMANCE = CLI_BACKENDS.map((c) => ({ ...c, label: c.args.join(' ') }));

/** Why the registry cannot be used (the lowest versions may not be in npm's cache yet), or undefined. */
async function registryProblem(): Promise<string | undefined> {
  const probe = RUNTIMES[0]!;
  const args = [
    'view',
    `${probe.name}@${probe.lowest}`,
    'version',
    '--prefer-online',
    '--fetch-retries=0',
    '--fetch-timeout=10000',
  ];
  const r = await runIn(tmpdir(), 'npm', args, 30_000);
  return r.status === 0 && r.stdout.trim() === probe.lowest
    ? undefined
    : `npm ${args.join(' ')} exited with ${r.status}: ${r.stderr.trim()}`;
}

const REGISTRY_PROBLEM = await registryProblem();

if (REGISTRY_PROBLEM !== undefined) {
  it('the npm registry answers', (ctx) => {
    if (!CI) ctx.skip(`the npm registry is unreachable, the scratch apps cannot be installed (${REGISTRY_PROBLEM})`);
    expect.fail(`the npm registry is unreachable: ${REGISTRY_PROBLEM}`);
  });
}

/** What `helpers/scratch-programs/<name>.mjs` printed: one JSON line, with the URLs its imports resolved to. */
interface ProgramOutput {
  readonly resolved: Readonly<Record<string, string>>;
  readonly mismatches?: readonly string[];
  readonly [key: string]: unknown;
}

describe.runIf(REGISTRY_PROBLEM === undefined)('packed tarballs installed into scratch apps', () => {
  let work = '';
  let tarballs = new Map<string, string>();

  beforeAll(async () => {
    expect(await buildStalePackages(PACKAGES)).toEqual([]);
    work = realpathSync(mkdtempSync(join(tmpdir(), 'vblora-pack-install-')));
    tarballs = await packPackages(PACKAGES, join(work, 'tarballs'));
  }, 600_000);

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it("every package that takes a runtime (peer, or the CLI's dependency) accepts the same range", () => {
    const ranges = new Map(RUNTIMES.map((r) => [r.name, r.range]));
    for (const d of runtimeDeclarations(PACKAGES)) expect(d.range, `${d.by} → ${d.name}`).toBe(ranges.get(d.name));
  });

  describe.each(LEVELS)('runtimes at their %s supported versions', (level: Level) => {
    const versions = Object.fromEntries(RUNTIMES.map((r) => [r.name, r[level]]));
    let app = '';
    let webgpu: Promise<ProgramOutput> | undefined;

    /** Runs `<name>.mjs` with node in the app and returns its JSON line, after checking its imports came from the app. */
    async function program(name: string, args: readonly string[], quiet = true): Promise<ProgramOutput> {
      const r = await runIn(app, process.execPath, [`${name}.mjs`, ...args], STEP_MS);
      expect(r.status, `${name}.mjs: ${r.stderr}`).toBe(0);
      // quiet: a second tf.js or ONNX Runtime announces itself on stderr ("kernel ... already registered")
      if (quiet) expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines, `${name}.mjs prints one JSON line`).toHaveLength(1);
      const out = JSON.parse(lines[0]!) as ProgramOutput;
      for (const [what, url] of Object.entries(out.resolved)) {
        expect(fileURLToPath(url), `${name}.mjs imported ${what} from`).toMatch(
          new RegExp(`^${literal(join(app, 'node_modules'))}${literal(sep)}`),
        );
      }
      return out;
    }

    /**
     * The webgpu program's output, run once: it says whether Dawn finds a WebGPU adapter in this app. Dawn may print
     * driver notes on stderr, so this program is not held to silence; its numbers are checked.
     */
    function webgpuRun(): Promise<ProgramOutput> {
      webgpu ??= program('webgpu', [CASE], false);
      return webgpu;
    }
    const gpuAvailable = async (): Promise<boolean> => (await webgpuRun())['available'] === true;

    const cli = (args: readonly string[]): Promise<Finished> =>
      runIn(app, 'npx', ['--no-install', '@vblora/cli', ...args], STEP_MS);

    beforeAll(async () => {
      app = join(work, level);
      writeScratchApp(app, tarballs, versions);
      const r = await npmInstall(app);
      expect(r.status, `npm install (${level}): ${r.stdout}${r.stderr}`).toBe(0);
    }, 600_000);

    it('installs every package from its tarball: one real folder each, no link', () => {
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { resolved?: string }>;
      };
      for (const [name, tarball] of tarballs) {
        const dir = join(app, 'node_modules', name);
        expect(lstatSync(dir).isSymbolicLink(), `${name} is a link`).toBe(false);
        expect(lstatSync(dir).isDirectory(), name).toBe(true);
        expect(realpathSync(dir)).toBe(dir);
        const resolved = lock.packages[`node_modules/${name}`]?.resolved ?? '';
        expect(resolved.startsWith('file:') ? resolve(app, resolved.slice('file:'.length)) : resolved, name).toBe(
          tarball,
        );
        expect(
          installedCopies(app, name).map((c) => c.path),
          name,
        ).toEqual([`node_modules/${name}`]);
      }
    });

    it(`installs each runtime once, at the version asked for (but the copies ${HF} pins for itself)`, () => {
      const pins =
        (
          JSON.parse(readFileSync(join(app, 'node_modules', HF, 'package.json'), 'utf8')) as {
            dependencies?: Record<string, string>;
          }
        ).dependencies ?? {};
      for (const r of RUNTIMES) {
        const want = [{ path: `node_modules/${r.name}`, version: versions[r.name]! }];
        // transformers.js depends on exact onnxruntime-node and onnxruntime-web versions; where the app has another,
        // npm nests the pin under it. Our packages only peer on ONNX Runtime, so our code loads the app's copy and
        // transformers.js its own (two onnxruntime-node copies cannot load in one process: the second fails).
        const pin = pins[r.name];
        if (pin !== undefined && pin !== versions[r.name]) {
          expect(pin, `${HF} pins ${r.name} to one version`).toMatch(/^\d+\.\d+\.\d+(-[\w.-]+)?$/);
          want.push({ path: `node_modules/${HF}/node_modules/${r.name}`, version: pin });
        }
        expect(installedCopies(app, r.name), r.name).toEqual(want.sort((a, b) => a.path.localeCompare(b.path)));
      }
      // tf.js registers its kernels in tfjs-core: a second copy is a second registry
      const tf = versions['@tensorflow/tfjs']!;
      expect(installedCopies(app, '@tensorflow/tfjs-core')).toEqual([
        { path: 'node_modules/@tensorflow/tfjs-core', version: tf },
      ]);
    });

    it(
      '@vblora/core composes a packaged golden adapter as PEFT does',
      async () => {
        const out = await program('core', [CASE]);
        expect(out.mismatches).toEqual([]);
        expect(out['modules']).toBe(goldenModules(app).length);
      },
      STEP_MS,
    );

    it(
      "@vblora/onnx: AdapterSession on the app's onnxruntime-node gives PEFT's outputs with and without the adapter",
      async () => {
        const out = await program('onnx', [CASE]);
        expect(out['ort']).toEqual({ common: versions['onnxruntime-node'], node: versions['onnxruntime-node'] });
        expect(out['warnings']).toEqual([]);
        expect(out.mismatches).toEqual([]);
      },
      STEP_MS,
    );

    it(
      "@vblora/onnx/web: AdapterSession on the app's onnxruntime-web (passed in) gives PEFT's outputs",
      async () => {
        const out = await program('onnx-web', [CASE]);
        expect(out['ort']).toEqual({ common: versions['onnxruntime-web'], web: versions['onnxruntime-web'] });
        expect(out.mismatches).toEqual([]);
      },
      STEP_MS,
    );

    it(
      '@vblora/tfjs: createBackend({ tfBackend: "wasm" }) composes as the reference and PEFT do',
      async () => {
        const out = await program('tfjs', [CASE]);
        expect([out['backend'], out['available'], out['tfBackend'], out['tf']]).toEqual([
          'tfjs-wasm',
          true,
          'wasm',
          versions['@tensorflow/tfjs'],
        ]);
        expect(out['modules']).toBe(goldenModules(app).length);
        expect(out.mismatches).toEqual([]);
      },
      STEP_MS,
    );

    it(
      "@vblora/webgpu/node: createNodeWebGpuBackend on the app's Dawn composes as the reference does",
      async (ctx) => {
        const available = await gpuAvailable();
        if (!available && !CI) ctx.skip('no WebGPU adapter on this machine');
        expect(available, "a WebGPU adapter (CI=true: SwiftShader from Debian's chromium)").toBe(true);
        const out = await webgpuRun();
        expect(out['modules']).toBe(goldenModules(app).length);
        expect(out.mismatches).toEqual([]);
      },
      STEP_MS,
    );

    it(
      '@vblora/conformance: checkConformance(referenceBackend) passes on the packaged fixtures',
      async () => {
        const out = await program('conformance', []);
        expect(out['backend']).toBe('reference');
        expect(out['failed']).toEqual([]);
        expect(out['ok']).toBe(true);
        expect((out['totals'] as { passed: number }).passed).toBeGreaterThan(0);
      },
      STEP_MS,
    );

    it(
      `@vblora/transformers: ${HF} generates PEFT's tokens on a hot-swap folder, with adapter a and with none`,
      async () => {
        const out = await program('transformers', [join(app, 'transformers-out')]);
        const runs = out['runs'] as Record<string, { got: number[][]; want: number[][] }>;
        expect(Object.keys(runs)).toEqual(['fp32.vblora-a', 'fp32.base']);
        for (const [run, { got, want }] of Object.entries(runs)) expect(got, run).toEqual(want);
        expect(out['newTokens']).toBeGreaterThan(0);
      },
      STEP_MS,
    );

    it(
      "npx @vblora/cli --version prints the CLI package's version",
      async () => {
        const r = await cli(['--version']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe(CLI_VERSION);
      },
      STEP_MS,
    );

    it(
      'npx @vblora/cli inspect reads a packaged golden adapter',
      async () => {
        const r = await cli([
          'inspect',
          join(app, 'node_modules', '@vblora', 'conformance', 'fixtures', 'peft-golden', CASE, 'adapter_full'),
          '--json',
        ]);
        expect(r.status, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout) as { flavour: string; modules: { path: string }[] };
        expect(report.flavour).toBe('full');
        expect(report.modules.map((m) => m.path).sort()).toEqual([...goldenModules(app)].sort());
      },
      STEP_MS,
    );

    it.for(CLI_CONFORMANCE)(
      'npx @vblora/cli conformance $label: conformant',
      { timeout: STEP_MS },
      async ({ args, backend, needsGpu }, ctx) => {
        if (needsGpu === true && !(await gpuAvailable())) {
          if (!CI) ctx.skip('no WebGPU adapter on this machine');
          expect.fail("no WebGPU adapter (CI=true: SwiftShader from Debian's chromium must be installed)");
        }
        const r = await cli(['conformance', ...args]);
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^conformance of backend "${literal(backend)}"`));
        expect(Number(/^(\d+) passed, 0 failed/m.exec(r.stdout)?.[1] ?? 0), r.stdout).toBeGreaterThan(0);
        expect(r.stdout).toContain('CONFORMANT: every applicable case passed');
      },
    );
  });
});

/** The modules PEFT adapted in the golden case (its summary.json, as installed). */
function goldenModules(app: string): string[] {
  const file = join(app, 'node_modules', '@vblora', 'conformance', 'fixtures', 'peft-golden', CASE, 'summary.json');
  // Python's json.dumps writes bare NaN / Infinity, which JSON.parse refuses
  const text = readFileSync(file, 'utf8').replace(/([:[,]\s*)-?(?:NaN|Infinity)(?=\s*[,\]}])/g, '$1null');
  return (JSON.parse(text) as { targeted_modules: string[] }).targeted_modules;
}

/** `s` as a literal inside a regular expression. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
