import { main, type CliIO } from '@vblora/cli';

/** Result of one in-process `vblora` run. */
export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `vblora` command in-process with captured output. */
export async function vblora(...argv: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}
