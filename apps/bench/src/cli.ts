#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@vblora/core/node';
import { reportMarkdown } from './report.js';
import { runBench } from './run-bench.js';

/**
 * `vblora bench [--quick] [--json FILE] [--md FILE] [--scale-layers N]`: runs the workloads, prints the markdown
 * table, and writes the JSON and markdown files when asked.
 */
export async function benchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      json: { type: 'string' },
      md: { type: 'string' },
      'scale-layers': { type: 'string' },
    },
  });
  const tty = process.stderr.isTTY === true;
  const report = await runBench({
    quick: values.quick === true,
    command: `vblora bench ${argv.join(' ')}`.trim(),
    ...(values['scale-layers'] === undefined ? {} : { scaleLayers: Number(values['scale-layers']) }),
    log: (m) => {
      if (tty) process.stderr.write(`\r\x1b[2Kbench: ${m}…`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[2K');
  const md = reportMarkdown(report);
  process.stdout.write(md);
  if (values.json !== undefined) await writeFileAtomic(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (values.md !== undefined) await writeFileAtomic(values.md, md);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await benchMain(process.argv.slice(2));
}
