/**
 * Type-checks imports of published entries the way an application would: a scratch project at the repository root
 * (so `@vblora/*` resolve through node_modules to the packages' `types` condition, i.e. the built .d.ts, never the
 * sources), `skipLibCheck: false`, and only the `lib` and `types` the application's environment gives.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ROOT, run } from './workspace.js';

/** What the consumer's tsconfig grants. */
export interface ConsumerEnv {
  readonly lib: readonly string[];
  readonly types: readonly string[];
}

/** One tsc error: the file it is in (absolute) and the first line of its message. */
export interface TypeError {
  readonly file: string;
  readonly message: string;
}

const ERROR = /^(.+?)\(\d+,\d+\): (error TS\d+: .*)$/;

/** Every tsc error of a consumer importing each of `entries` (one file per entry) in the given environment. */
export async function consumerTypeErrors(entries: readonly string[], env: ConsumerEnv): Promise<TypeError[]> {
  const dir = realpathSync(mkdtempSync(join(ROOT, '.tmp-consumer-')));
  try {
    const files = entries.map((entry, i) => {
      const file = `entry-${i}.ts`;
      writeFileSync(
        join(dir, file),
        `import * as m from '${entry}';\nexport const names: readonly string[] = Object.keys(m);\n`,
      );
      return file;
    });
    const compilerOptions = {
      lib: env.lib,
      types: env.types,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { output } = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], dir);
    const errors: TypeError[] = [];
    for (const line of output.split('\n')) {
      const m = ERROR.exec(line);
      if (m !== null) errors.push({ file: isAbsolute(m[1]!) ? m[1]! : resolve(dir, m[1]!), message: m[2]! });
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True for errors in this repository's own declarations (packages/*), not in a third-party package's. */
export function isOurs(error: TypeError): boolean {
  const packages = join(realpathSync(ROOT), 'packages');
  return error.file.startsWith(packages) && !error.file.includes('/node_modules/');
}
