import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vblora/core';
import { createBackend as createBrowserBackend } from '../src/index.js';
import { createBackend } from '../src/index-node.js';

describe('createBackend (@vblora/cpu)', () => {
  it('gives a new cpu backend each call, in Node with the parallel merge, in the browser entry without', () => {
    const a = createBackend();
    expect(a.name).toBe('cpu');
    expect(createBackend()).not.toBe(a);
    expect(a.capabilities?.parallelMerge).toBeDefined();
    const web = createBrowserBackend();
    expect(web.name).toBe('cpu');
    expect(web.capabilities?.parallelMerge).toBeUndefined();
  });

  it('takes no options: any key is a ConfigError naming it', () => {
    expect(() => createBackend({ backend: 'cpu' })).toThrow(ConfigError);
    expect(() => createBackend({ backend: 'cpu' })).toThrow(/@vblora\/cpu: unknown option "backend"; it takes none/);
    expect(() => createBrowserBackend({ threads: '2' })).toThrow(/unknown option "threads"/);
  });
});
