// Child process of atomic-kill.test.ts: writes new versions of one destination in a loop until it is killed.
// It runs the real writers, transpiled from packages/core/src by the test (`transpileCore`).
//   node kill-child.mjs file <atomic-write.js> <target> <bytes>     writeFileAtomic, version after version
//   node kill-child.mjs adapter <node.js> <target dir> <src dir>... writeAdapterDir, alternating the given adapters
import { versionBytes } from './kill-versions.mjs';

const [mode, entry, target, ...rest] = process.argv.slice(2);
const core = await import(entry);
const say = (line) => new Promise((resolve) => process.stdout.write(`${line}\n`, resolve));

if (mode === 'file') {
  const size = Number(rest[0]);
  await say('ready');
  for (let gen = 1; ; gen++) {
    await core.writeFileAtomic(target, versionBytes(gen, size + (gen % 7) * 4096));
    await say(`done ${gen}`);
  }
} else if (mode === 'adapter') {
  const adapters = [];
  for (const dir of rest) adapters.push((await core.readAdapterDir(dir)).adapter);
  await say('ready');
  for (let gen = 1; ; gen++) {
    await core.writeAdapterDir(target, adapters[gen % adapters.length]);
    await say(`done ${gen}`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
