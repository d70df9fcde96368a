/**
 * GPU workload of @vblora/webgpu on Node (Dawn), run by hand on a machine with a GPU: compose, merge (GB/s against
 * this device's copy bandwidth, measured in the same run) and forward (against the base matmul alone), plus mixed
 * batches.
 *
 * Run (after `npm run build`): `node apps/bench/dist/package-script.js webgpu-device [--quick] [--swiftshader]
 * [--json out.json] [--dawn backend=vulkan] [--iters N] [--no-fallback]`; `apps/bench/scripts/device-bundle.sh`
 * packs it, with Node and Dawn, for a GPU machine that has neither. `--no-fallback` fails instead of falling back
 * to SwiftShader when there is no GPU adapter.
 *
 * Full size is Llama-2-7B-shaped (hidden 4096, intermediate 11008, 32 layers × 7 modules, nv 2048, vl 256, r 4,
 * k 2); `--quick` (automatic on SwiftShader) shrinks every dimension so a CPU-emulated device finishes in seconds.
 * Times are wall-clock per call, averaged over iterations, ending with `queue.onSubmittedWorkDone()`: they include
 * encoding and submission, as an application sees them.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { HostTensor } from '@vblora/core';
import { createWebGpuRuntime, type GpuTensor, type GpuTopkAdmixtureResult, type WebGpuRuntime } from '@vblora/webgpu';
import { nodeGpu, swiftShaderOptions } from '@vblora/webgpu/node';

/** Runs the benchmark with `argv` (the options above), prints its lines and writes the JSON report if asked. */
export async function webgpuDeviceBench(argv: readonly string[]): Promise<void> {
  const flag = (name: string): boolean => argv.includes(name);
  const option = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };

  // --- device -----------------------------------------------------------------------------------------------
  const dawnOptions = argv.flatMap((a, i) => (argv[i - 1] === '--dawn' ? [a] : []));
  const open = (useSwiftShader: boolean): Promise<WebGpuRuntime> => {
    const extra = useSwiftShader ? swiftShaderOptions() : {};
    if (useSwiftShader && extra === undefined) throw new Error('SwiftShader (Debian chromium) is not installed');
    return createWebGpuRuntime({ gpu: nodeGpu({ ...extra, dawnOptions }) });
  };
  let rt: WebGpuRuntime;
  let note = '';
  try {
    rt = await open(flag('--swiftshader'));
  } catch (e) {
    if (flag('--swiftshader') || flag('--no-fallback')) throw e;
    const first = (e as Error).message.split('\n')[0];
    note = `no GPU adapter (${first}); fell back to SwiftShader, a CPU emulation: NOT GPU figures`;
    try {
      rt = await open(true);
    } catch (e2) {
      throw new Error(`no WebGPU adapter: ${(e as Error).message}; SwiftShader fallback: ${(e2 as Error).message}`, {
        cause: e,
      });
    }
  }
  const software = /swiftshader|llvmpipe|lavapipe/i.test(rt.adapterName);
  const quick = flag('--quick') || software;
  if (software && note === '') note = 'software adapter (CPU emulation): NOT GPU figures';

  // --- data -------------------------------------------------------------------------------------------------
  let seed = 12345;
  const random = (n: number, scale = 1): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; // LCG: speed matters here, not quality
      a[i] = ((seed / 2 ** 32) * 2 - 1) * scale;
    }
    return a;
  };
  const f32 = (shape: number[], scale: number): HostTensor<'f32'> => ({
    dtype: 'f32',
    shape,
    data: random(
      shape.reduce((x, y) => x * y, 1),
      scale,
    ),
  });
  const bf16 = (shape: number[], scale: number): HostTensor<'bf16'> => {
    const t = f32(shape, scale);
    const bits = new Uint16Array(new Uint32Array(t.data.buffer).map((b) => b >>> 16));
    return { dtype: 'bf16', shape, data: bits };
  };

  const S = quick
    ? { hidden: 256, inter: 688, layers: 2, nv: 128, vl: 16, r: 4, k: 2, tokens: 32, iters: 3 }
    : { hidden: 4096, inter: 11008, layers: 32, nv: 2048, vl: 256, r: 4, k: 2, tokens: 256, iters: 10 };
  const iters = Number(option('--iters') ?? S.iters);
  const MODULES: readonly (readonly [string, number, number])[] = [
    ['q_proj', S.hidden, S.hidden],
    ['k_proj', S.hidden, S.hidden],
    ['v_proj', S.hidden, S.hidden],
    ['o_proj', S.hidden, S.hidden],
    ['gate_proj', S.hidden, S.inter],
    ['up_proj', S.hidden, S.inter],
    ['down_proj', S.inter, S.hidden],
  ]; // [name, in, out]

  const device = rt.device;
  const time = async (fn: () => unknown, n = iters): Promise<number> => {
    await fn(); // warm-up: compiles pipelines, fills the pool
    await rt.sync();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    await rt.sync();
    return (performance.now() - t0) / n;
  };
  const results: Record<string, unknown> = {};
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const ms = (x: number): string => `${x.toFixed(3)} ms`;
  const gbps = (bytes: number, t: number): number => bytes / (t / 1e3) / 1e9;

  log(`vblora.js WebGPU benchmark — adapter: ${rt.adapterName}${note ? ` — ${note}` : ''}`);
  log(`shapes: ${quick ? 'quick (scaled down)' : 'Llama-2-7B'} ${JSON.stringify(S)}; iterations ${iters}`);

  // --- copy bandwidth ---------------------------------------------------------------------------------------
  {
    const bytes = Math.min(quick ? 16 * 2 ** 20 : 1024 * 2 ** 20, device.limits.maxBufferSize);
    const usage = 0x4 | 0x8 | 0x80; // COPY_SRC | COPY_DST | STORAGE
    const a = device.createBuffer({ size: bytes, usage });
    const b = device.createBuffer({ size: bytes, usage });
    const t = await time(async () => {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(a, 0, b, 0, bytes);
      device.queue.submit([enc.finish()]);
    });
    a.destroy();
    b.destroy();
    const copy = { bytes, ms: t, GBps: gbps(2 * bytes, t) };
    results['copy'] = copy;
    log(
      `copy ${(bytes / 2 ** 20).toFixed(0)} MiB buffer→buffer: ${ms(t)}, ${copy.GBps.toFixed(1)} GB/s (read + write)`,
    );
  }

  // --- compose ----------------------------------------------------------------------------------------------
  {
    const bank = rt.upload(f32([S.nv, S.vl], 1));
    const modules: { logitsA: GpuTensor<'f32'>; logitsB: GpuTensor<'f32'> }[] = [];
    for (let l = 0; l < S.layers; l++) {
      for (const [, inF, outF] of MODULES) {
        const logitsA = rt.upload(f32([S.r, inF / S.vl, S.nv], 5));
        const logitsB = rt.upload(f32([outF / S.vl, S.r, S.nv], 5));
        modules.push({ logitsA, logitsB });
      }
    }
    const composeAll = async (): Promise<void> => {
      for (const m of modules) {
        const { A, B } = await rt.composeLowRank({ ...m, bank, k: S.k });
        A.dispose();
        B.dispose();
      }
    };
    const dense = await time(composeAll, Math.max(1, Math.floor(iters / 2)));
    // the top-k form is what a 2.5 MB checkpoint ships: indices + weights instead of dense logits
    const forms: { logitsA: GpuTopkAdmixtureResult; logitsB: GpuTopkAdmixtureResult }[] = [];
    for (const m of modules) {
      const a = await rt.topkAdmixture({ logits: m.logitsA, bank, k: S.k });
      const b = await rt.topkAdmixture({ logits: m.logitsB, bank, k: S.k });
      a.vectors.dispose();
      b.vectors.dispose();
      forms.push({ logitsA: a, logitsB: b });
    }
    const fromTopk = await time(
      async () => {
        for (const f of forms) {
          const { A, B } = await rt.composeLowRank({ logitsA: f.logitsA, logitsB: f.logitsB, bank, k: S.k });
          A.dispose();
          B.dispose();
        }
      },
      Math.max(1, Math.floor(iters / 2)),
    );
    results['compose'] = { modules: modules.length, denseMs: dense, topkFormMs: fromTopk };
    log(
      `compose ${modules.length} modules: dense logits ${ms(dense)} (${(dense / modules.length).toFixed(
        3,
      )} ms/module), ` + `top-k form ${ms(fromTopk)}`,
    );
    for (const m of modules) {
      m.logitsA.dispose();
      m.logitsB.dispose();
    }
    for (const f of forms)
      for (const t of [f.logitsA.indices, f.logitsA.weights, f.logitsB.indices, f.logitsB.weights]) t.dispose();
    bank.dispose();
  }

  // --- merge ------------------------------------------------------------------------------------------------
  for (const dtype of ['bf16', 'f32'] as const) {
    const layer = MODULES.map(([name, inF, outF]) => ({
      name,
      weight: dtype === 'bf16' ? rt.upload(bf16([outF, inF], 0.05)) : rt.upload(f32([outF, inF], 0.05)),
      A: rt.upload(f32([S.r, inF], 0.01)),
      B: rt.upload(f32([outF, S.r], 0.01)),
    }));
    const bytes = layer.reduce((s, m) => s + m.weight.size * (dtype === 'bf16' ? 2 : 4), 0);
    const t = await time(async () => {
      for (const m of layer) await rt.merge({ weight: m.weight, A: m.A, B: m.B, inPlace: true });
    });
    // copy of the same buffers, same run: the physical limit for a read-modify-write of the weights
    const scratch = layer.map((m) =>
      m.weight.chunks.map((c) => device.createBuffer({ size: c.bytes, usage: 0x4 | 0x8 })),
    );
    const tc = await time(async () => {
      const enc = device.createCommandEncoder();
      layer.forEach((m, i) =>
        m.weight.chunks.forEach((c, j) => enc.copyBufferToBuffer(c.buffer, 0, scratch[i]![j]!, 0, c.bytes)),
      );
      device.queue.submit([enc.finish()]);
    });
    scratch.flat().forEach((b) => b.destroy());
    const GBps = gbps(2 * bytes, t);
    const copyGBps = gbps(2 * bytes, tc);
    const r = { weightBytes: bytes, ms: t, GBps, copyGBps, ofCopy: GBps / copyGBps };
    results[`merge_${dtype}`] = r;
    log(
      `merge one layer (7 modules, ${(bytes / 2 ** 20).toFixed(0)} MiB ${dtype}) in place: ${ms(t)}, ` +
        `${r.GBps.toFixed(1)} GB/s = ${(100 * r.ofCopy).toFixed(0)} % of copying the same buffers (${r.copyGBps.toFixed(
          1,
        )} GB/s)`,
    );
    for (const m of layer) {
      m.weight.dispose();
      m.A.dispose();
      m.B.dispose();
    }
  }

  // --- forward ----------------------------------------------------------------------------------------------
  for (const dtype of ['bf16', 'f32'] as const) {
    for (const tokens of [1, S.tokens]) {
      const [, inF, outF] = MODULES[5]!; // up_proj: the largest matmul
      const mk = (shape: number[], scale: number): GpuTensor<'bf16' | 'f32'> =>
        dtype === 'bf16' ? rt.upload(bf16(shape, scale)) : rt.upload(f32(shape, scale));
      const x = mk([tokens, inF], 1);
      const W = mk([outF, inF], 0.02);
      const A = rt.upload(f32([S.r, inF], 0.02));
      const B = rt.upload(f32([outF, S.r], 0.02));
      const base = await time(async () => (await rt.linear({ x, weight: W })).dispose());
      const unfused = await time(async () => {
        const y0 = await rt.linear({ x, weight: W });
        (await rt.adapterForward({ x, baseOut: y0, A, B })).dispose();
        y0.dispose();
      });
      const fused = await time(async () => (await rt.linearWithAdapter({ x, weight: W, A, B })).dispose());
      const baseGflops = (2 * tokens * inF * outF) / (base / 1e3) / 1e9;
      const r = { tokens, in: inF, out: outF, baseMs: base, unfusedMs: unfused, fusedMs: fused, baseGflops };
      results[`forward_${dtype}_n${tokens}`] = r;
      log(
        `forward ${dtype} ${tokens}×${inF}→${outF}: base ${ms(base)} (${r.baseGflops.toFixed(1)} GFLOP/s), ` +
          `+adapter unfused ${ms(unfused)} (×${(unfused / base).toFixed(2)}), fused ${ms(fused)} (×${(
            fused / base
          ).toFixed(2)})`,
      );
      for (const t of [x, W, A, B]) t.dispose();
    }
  }

  // --- mixed batch ------------------------------------------------------------------------------------------
  {
    const [, inF, outF] = MODULES[0]!;
    const n = S.tokens;
    const x = rt.upload(f32([n, inF], 1));
    const baseOut = rt.upload(f32([n, outF], 1));
    for (const count of [1, 8, 64]) {
      const adapters = Array.from({ length: count }, () => ({
        A: rt.upload(f32([S.r, inF], 0.02)),
        B: rt.upload(f32([outF, S.r], 0.02)),
      }));
      const set = rt.packAdapters(adapters);
      const rowAdapter = Int32Array.from({ length: n }, (_, i) => i % count);
      const t = await time(async () =>
        (await rt.mixedBatchForward({ x, baseOut, adapters: set, rowAdapter })).dispose(),
      );
      results[`mixed_${count}`] = { rows: n, adapters: count, ms: t, rowsPerS: n / (t / 1e3) };
      log(
        `mixed batch ${n} rows, ${count} adapter(s) (${inF}→${outF}, r ${S.r}): ${ms(t)}, ${(n / (t / 1e3)).toFixed(
          0,
        )} rows/s`,
      );
      set.dispose();
      for (const a of adapters) {
        a.A.dispose();
        a.B.dispose();
      }
    }
    x.dispose();
    baseOut.dispose();
  }

  const report = {
    adapter: rt.adapterName,
    note,
    quick,
    shapes: S,
    iterations: iters,
    node: process.version,
    os: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
    command: `node apps/bench/dist/package-script.js webgpu-device ${argv.join(' ')}`.trim(),
    results,
    pool: rt.stats(),
  };
  const out = option('--json');
  if (out !== undefined) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log(`JSON: ${out ?? '(pass --json <file> to write it)'}`);
  rt.dispose();
}
