import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '@vblora/core';

/** What an untrusted adapter directory can hold in place of a file. */
export type HostileKind = 'fifo' | 'dev-zero-link' | 'directory' | 'sparse-huge' | 'socket';

/**
 * Makes `dir` an adapter directory whose `which` file is a hostile object; the other file is copied from
 * `good`. Returns a cleanup for the objects that hold resources (the socket server).
 */
export async function hostileAdapterDir(
  dir: string,
  which: 'config' | 'weights',
  kind: HostileKind,
  good: { config: string; weights: Uint8Array },
  hugeBytes: number,
): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, which === 'config' ? ADAPTER_CONFIG_FILE : ADAPTER_WEIGHTS_FILE);
  if (which === 'config') writeFileSync(join(dir, ADAPTER_WEIGHTS_FILE), good.weights);
  else writeFileSync(join(dir, ADAPTER_CONFIG_FILE), good.config);
  let server: Server | undefined;
  switch (kind) {
    case 'fifo': {
      const r = spawnSync('mkfifo', [target]);
      if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr.toString()}`);
      break;
    }
    case 'dev-zero-link':
      symlinkSync('/dev/zero', target);
      break;
    case 'directory':
      mkdirSync(target);
      break;
    case 'sparse-huge':
      writeFileSync(target, '');
      truncateSync(target, hugeBytes); // sparse: takes no disk space
      break;
    case 'socket':
      server = createServer();
      await new Promise<void>((resolve) => server!.listen(target, resolve));
      break;
  }
  return () => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
}
