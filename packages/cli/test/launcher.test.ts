import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../bin/vblora.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'vblora-launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function node(script: string, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args], { encoding: 'utf8' });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A copy of the package's launcher in a fresh package folder, with `dist/bin.js` when given. */
function packageWith(name: string, distBin?: string): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(LAUNCHER, join(root, 'bin', 'vblora.js'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }');
  if (distBin !== undefined) {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'bin.js'), distBin);
  }
  return join(root, 'bin', 'vblora.js');
}

describe('the committed bin launcher (bin/vblora.js)', () => {
  it('is a node script (npm links it before anything is built)', () => {
    expect(readFileSync(LAUNCHER, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('without dist/: says to run npm run build first, exit 2, nothing on stdout', async () => {
    const r = await node(packageWith('unbuilt'), 'inspect', 'x');
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: 'vblora: @vblora/cli is not built (dist/bin.js is missing): run npm run build first\n',
    });
  });

  it('with dist/: runs dist/bin.js with the arguments and keeps its exit status', async () => {
    const stub = 'process.stdout.write(JSON.stringify(process.argv.slice(2))); process.exitCode = 3;\n';
    const r = await node(packageWith('built', stub), 'inspect', './my adapter', '--json');
    expect(r).toEqual({ status: 3, stdout: '["inspect","./my adapter","--json"]', stderr: '' });
  });

  it.skipIf(!existsSync(BUILT))('runs the built command of this checkout: vblora --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await node(LAUNCHER, '--version')).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });
});
