/**
 * The ONNX checker of Debian's python3-onnx (1.12), run on a written model file with `full_check=True`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';
const SCRIPT = 'import onnx,sys; onnx.checker.check_model(sys.argv[1], full_check=True)';

/** True when python3-onnx is installed (CI installs it; a model we write must then pass). */
export function hasOnnxChecker(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the checker on a model file; throws with the checker's message when the model is rejected. */
export function checkOnnxFile(path: string): void {
  try {
    execFileSync(PYTHON, ['-c', SCRIPT, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`onnx.checker rejected ${path}:\n${stderr.trim().split('\n').slice(-3).join('\n')}`);
  }
}
