/**
 * The ONNX checker of Debian's python3-onnx (1.12), run with `full_check=True` on written model files. CI installs
 * python3-onnx, so there the checker always runs; elsewhere the checker tests are skipped when it is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';
const SCRIPT = [
  'import onnx, sys',
  'for p in sys.argv[1:]:',
  '    try:',
  '        onnx.checker.check_model(p, full_check=True)',
  '    except Exception as e:',
  '        sys.exit(p + ": " + str(e).strip().splitlines()[-1])',
].join('\n');

function available(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when the checker must run: python3-onnx is installed, or this is CI (where a missing checker must fail). */
export const CHECKER: boolean = available() || process.env['CI'] === 'true';

/** Runs the checker on model files (one Python process); throws with the first rejection. */
export function checkOnnxFiles(paths: readonly string[]): void {
  if (paths.length === 0) throw new Error('no model files to check');
  try {
    execFileSync(PYTHON, ['-c', SCRIPT, ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err);
    throw new Error(`onnx.checker rejected a model:\n${stderr.split('\n').slice(-3).join('\n')}`);
  }
}
