import { it } from 'vitest';
import { transpileCore } from './helpers/child-core.js';
it('t', () => {
  let t0 = performance.now();
  transpileCore('/tmp/tt1', ['node/atomic-write.ts']);
  console.log('atomic', performance.now() - t0);
  t0 = performance.now();
  transpileCore('/tmp/tt2', ['node/adapter-dir.ts']);
  console.log('adapter-dir', performance.now() - t0);
  t0 = performance.now();
  transpileCore('/tmp/tt3', ['node.ts']);
  console.log('node', performance.now() - t0);
});
