#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@vblora/core/node';
import { loadBackends } from './backends.js';
import { PACKAGE_SCRIPTS, runPackageScript } from './package-scripts.js';
import { choosingABackendMarkdown, conformanceReports } from './matrix.js';
import { reportMarkdown } from './report.js';
import { runBench } from './run-bench.js';

/**
 * `vblora bench [--quick] [--json FILE] [--md FILE] [--scale-layers N] [--only compose,merge,…]`: runs the
 * workloads (all, or those of `--only`: ids of `BENCH_WORKLOADS`), prints the markdown table, and writes the JSON
 * and markdown files when asked.
 */
export async function benchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      json: { type: 'string' },
      md: { type: 'string' },
      'scale-layers': { type: 'string' },
      backends: { type: 'string' },
      matrix: { type: 'string' },
      'package-scripts': { type: 'boolean' },
      only: { type: 'string' },
    },
  });
  const names = (values.backends ?? 'reference,cpu,tfjs-wasm,onnx,webgpu').split(',').filter((n) => n !== '');
  const skipped: string[] = [];
  const backends = await loadBackends(names, (name, why) => skipped.push(`${name}: ${why}`));
  const tfName = backends.find((b) => b.name.startsWith('tfjs-'))?.name.slice('tfjs-'.length);
  const tty = process.stderr.isTTY === true;
  const report = await runBench({
    quick: values.quick === true,
    backends,
    ...(tfName === undefined ? {} : { trainOn: tfName }),
    command: `vblora bench ${argv.join(' ')}`.trim(),
    ...(values['scale-layers'] === undefined ? {} : { scaleLayers: Number(values['scale-layers']) }),
    ...(values.only === undefined ? {} : { only: values.only.split(',').filter((w) => w !== '') }),
    log: (m) => {
      if (tty) process.stderr.write(`\r\x1b[2Kbench: ${m}…`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[2K');
  const scripts = [];
  if (values['package-scripts'] === true) {
    for (const s of PACKAGE_SCRIPTS) {
      if (tty) process.stderr.write(`\r\x1b[2Kbench: ${s.script}…`);
      scripts.push(await runPackageScript(s));
    }
    if (tty) process.stderr.write('\r\x1b[2K');
  }
  const md = reportMarkdown({ ...report, packageScripts: scripts });
  process.stdout.write(md);
  if (values.json !== undefined) await writeFileAtomic(values.json, `${JSON.stringify(report, null, 2)}\n`);
  for (const s of skipped) process.stderr.write(`bench: backend skipped — ${s}\n`);
  if (values.md !== undefined) await writeFileAtomic(values.md, md);
  if (values.matrix !== undefined) {
    await writeFileAtomic(values.matrix, choosingABackendMarkdown(await conformanceReports(backends), report));
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await benchMain(process.argv.slice(2));
}
