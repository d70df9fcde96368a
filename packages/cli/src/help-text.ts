/**
 * What `vblora --help` and `vblora <command> --help` print. Text only; the options each command accepts are in
 * `command-table.ts` (a test checks that every accepted option is described here).
 * @module
 */

const ADAPTER = `  --adapter NAME         the adapter saved in <adapter_dir>/NAME (a plain folder name; default: the folder itself)`;
const MAX_MEMORY = `  --max-memory SIZE      memory budget for everything sized by the input files, checked before it is allocated:
                         bytes, or with a unit: 512MiB, 8GiB, 2GB (default 4GiB, or half the memory this
                         process may use if that is less)`;
const NON_FINITE = `  --allow-non-finite     go on when the adapter's bank, logits or top-k weights hold NaN or Inf (refused by default)`;
const BACKEND = `  --backend B            reference (default), cpu (WebAssembly SIMD, the same bits), onnx (onnxruntime-node),
                         webgpu (Dawn)`;
const HELP = `  -h, --help             this help`;
const EXIT = `Exit status: 0 on success, 1 on bad input (one typed line on standard error, no partial output), 2 on bad usage.`;

/** `vblora <command> --help` for every command. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  demo: `usage: vblora demo [--steps N] [--backend wasm|cpu] [--out DIR]

The main job on the embedded default: trains VB-LoRA and LoRA on a small ToyLlama with TensorFlow.js, saves the
adapter in both PEFT flavours, reloads it on every available backend and writes a report.

  --steps N              training steps (default 200)
  --backend wasm|cpu     the TensorFlow.js backend to train on (default wasm)
  --out DIR              where to write: a new or empty folder, or an earlier demo's (default demo-output)
${HELP}

${EXIT}
`,
  inspect: `usage: vblora inspect <adapter_dir> [--json] [--adapter NAME] [--max-memory SIZE]

Config, modules, shapes, index dtype, savable parameters, size and warnings of a PEFT VB-LoRA adapter
(<adapter_dir>: adapter_config.json + adapter_model.safetensors).

  --json                 the report as JSON
${ADAPTER}
${MAX_MEMORY}
${HELP}

${EXIT}
`,
  compose: `usage: vblora compose <adapter_dir> -o out.safetensors [--backend B] [options]

Writes float32 "<module path>.A", ".B" and ".delta" for every module of the adapter. A and B are composed on
the backend; the delta B·A too when the backend has a deltaWeight kernel, otherwise (cpu) on core's reference
kernel, which gives the same bits.

  -o, --output FILE      the safetensors file to write (atomically; never one of the inputs)
${BACKEND}
${ADAPTER}
${MAX_MEMORY}
${NON_FINITE}
${HELP}

${EXIT}
`,
  convert: `usage: vblora convert <adapter_dir> -o <dir> (--topk-only | --full) [options]
       vblora convert <adapter_dir> --to-lora [--rank N | --energy F] -o <dir> [options]

Re-saves the adapter in the other PEFT flavour: top-k indices and weights (save_only_topk_weights), or full logits.
With --to-lora, writes a PEFT LoRA checkpoint instead, as PEFT's save_as_lora does (lora_alpha = r, so scaling 1;
target_modules, layers_to_transform, layers_pattern, modules_to_save carried over; bias other than "none" refused).

  -o, --output DIR       the adapter folder to write
  --topk-only            write the top-k flavour
  --full                 write the full-logits flavour
  --to-lora              write a PEFT LoRA adapter (lora_A / lora_B per module)
  --rank N               --to-lora: LoRA rank of every module, 1 to min(in, out); default the adapter's r, which
                         keeps VB-LoRA's own A and B (exact); lower ranks keep the largest singular values of B·A
  --energy F             --to-lora: per module, the smallest rank holding a fraction F (0 < F <= 1) of the
                         squared singular values (PEFT's float rank); ranks then differ per module
${ADAPTER}
${MAX_MEMORY}
${NON_FINITE}
${HELP}

${EXIT}
`,
  merge: `usage: vblora merge <adapter_dir> --base base.safetensors|<sharded dir>|model.onnx -o <out> [--backend B] [options]
       vblora merge <adapter_dir> --base <model folder> -o <folder> [--requantize] [--skip-unsupported] [options]

What PEFT's merge_and_unload gives: deltas merged in the base dtype, trained biases and modules_to_save copies
carried over, keys and dtypes unchanged. A model folder (config.json + onnx/, transformers.js or Optimum) gets
every onnx/*.onnx merged into a new folder, config and tokenizer files copied.

  --base PATH            the base model: safetensors file or sharded folder, .onnx file, or model folder
  -o, --output PATH      the merged file or folder (a folder must be new or empty)
${BACKEND}
  --requantize           ONNX bases: quantized models (q4, q4f16, int8, uint8) too, requantized, with the error it adds
  --skip-unsupported     model folders: leave out the models that cannot be processed instead of failing (listed)
${ADAPTER}
${MAX_MEMORY}
${NON_FINITE}
${HELP}

${EXIT}
`,
  inject: `usage: vblora inject <adapter_dir> [<adapter_dir> ...] --base model.onnx|<model folder> -o <out> [--hot-swap] [options]

The adapter as a branch beside each adapted layer of an ONNX model, quantized layers too: built in (transformers.js
runs it as it is), or as graph inputs (--hot-swap; several adapters: the union of their modules, switchable per run).

  --base PATH            the base model: .onnx file or model folder (config.json + onnx/)
  -o, --output PATH      the .onnx file or folder to write (a folder must be new or empty)
  --hot-swap             adapters as graph inputs (feed them with AdapterSession); needed for several adapters
  --skip-unsupported     model folders: leave out the models that cannot be processed instead of failing (listed)
${ADAPTER}
${MAX_MEMORY}
${NON_FINITE}
${HELP}

${EXIT}
`,
  conformance: `usage: vblora conformance <backend module> [--option KEY=VALUE ...] [--json]

Runs the conformance kit against a backend: a package name (@vblora/core, @vblora/cpu, @vblora/onnx,
@vblora/tfjs, @vblora/webgpu, a third-party package) or a file (./my-backend.js). The module's default export is the backend,
or it exports createBackend(options), which the command calls with the --option values (docs/adding-a-backend.md).
First-party options: @vblora/core backend=reference; @vblora/tfjs tfBackend=cpu|wasm (default cpu).

  --option KEY=VALUE     passed to the module's createBackend (repeatable; values are strings)
  --json                 the full report as JSON (per case: status, accuracy, max errors, time)
${HELP}

Exit status: 0 when every applicable case passes, 1 when one fails or the backend cannot be loaded, 2 on bad usage.
`,
  bench: `usage: vblora bench [--quick] [--json FILE] [--md FILE] [--scale-layers N] [--backends LIST] [--matrix FILE]
                    [--package-scripts] [--only LIST]

Benchmarks against this machine's copy bandwidth (docs/benchmarks.md). They run from the vblora.js repository
clone only (apps/bench is not published): in the clone, \`npm ci && npm run bench\`. Anywhere else the command
says so and exits with status 2.

  --quick                one repetition, smaller shapes (a smoke run)
  --json FILE            write the results as JSON
  --md FILE              write the markdown report (it is always printed)
  --scale-layers N       layers of the synthetic sharded checkpoint merged at scale (default 2, 1 with --quick;
                         0 skips it)
  --backends LIST        comma-separated: reference,cpu,tfjs-wasm,onnx,webgpu (default: all)
  --matrix FILE          write the capability and speed matrix (docs/choosing-a-backend.md)
  --package-scripts      also run the ONNX and TensorFlow.js packages' own benchmark scripts
  --only LIST            comma-separated workloads: compose,merge,forward,mixed-batch,training-step,generate,
                         adapter-switch,adapter-store,server-load,cli-startup,checkpoint,scale-merge (default: all;
                         the copies always run)
${HELP}
`,
};

/** `vblora --help`: every command in short. */
export const USAGE = `usage: vblora <command> [options]

  demo [--steps N] [--backend wasm|cpu] [--out DIR]
                                                the main job: train VB-LoRA vs LoRA on a ToyLlama, save, reload everywhere
                                                (DIR: new, empty, or an earlier demo's; default demo-output)
  inspect <adapter_dir> [--json] [--adapter NAME]
                                                config, modules, shapes, index dtype, savable params, size, warnings
  compose <adapter_dir> -o out.safetensors [--backend B]
                                                float32 "<module>.A", ".B", ".delta" for every module
  convert <adapter_dir> -o <dir> (--topk-only | --full)
  convert <adapter_dir> --to-lora [--rank N | --energy F] -o <dir>
                                                a PEFT LoRA checkpoint (PEFT's convert_to_lora semantics)
  merge <adapter_dir> --base base.safetensors|<sharded dir>|model.onnx -o <out> [--backend B]
  merge <adapter_dir> --base <model folder> -o <folder> [--requantize] [--skip-unsupported] [--backend B]
                                                every onnx/*.onnx of a transformers.js/Optimum folder merged,
                                                config and tokenizer files copied; quantized models need --requantize
  inject <adapter_dir> [<adapter_dir> ...] --base model.onnx|<model folder> -o <out> [--hot-swap] [--skip-unsupported]
                                                the adapter as a branch beside each adapted layer, quantized ones too:
                                                built in (transformers.js runs it as it is), or graph inputs (--hot-swap;
                                                several adapters: the union of their modules, switchable per run)
  conformance <backend module> [--option KEY=VALUE ...] [--json]
                                                run the conformance kit against a backend package or file
  bench [--quick] [--json FILE] [--md FILE]      benchmarks against this machine's copy bandwidth (repository clone only)
  help [<command>]                              this text, or a command's options (= vblora <command> --help)
  --version                                     the version of @vblora/cli

  B (compose, merge): reference (default), cpu (WebAssembly SIMD, same bits), onnx, webgpu. A merge into
  safetensors on the reference backend runs core's WebAssembly kernels on every core.
  inspect, compose, convert, merge, inject also take:
    --adapter NAME        the adapter saved in <adapter_dir>/NAME (a plain folder name; default: the folder itself)
    --max-memory SIZE     memory budget for everything sized by the input files, checked before it is allocated:
                          bytes, or with a unit: 512MiB, 8GiB, 2GB (default 4GiB, or half the
                          memory this process may use if that is less)
  compose, convert, merge, inject:
    --allow-non-finite    go on when the adapter's bank, logits or top-k weights hold NaN or Inf (refused by default)
  merge, inject with ONNX bases (a model folder is config.json + onnx/; its output folder must be new or empty):
    --requantize          merge: quantized models (q4, q4f16, int8, uint8) too, requantized, with the error it adds
    --skip-unsupported    model folders: leave out the models that cannot be processed instead of failing (listed)
  An output is never one of the inputs (through any link); exit 0 on success, 1 on bad input, 2 on bad usage.
`;
