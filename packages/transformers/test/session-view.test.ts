/**
 * The session view transformers.js gets: it lists the model's own inputs only (names and metadata), adds the
 * extra feeds to every run, and forwards everything else to the real session with the real session as `this`
 * (onnxruntime keeps its handler on it). Accuracy: exact.
 */
import { describe, expect, it } from 'vitest';
import { isSessionView, sessionView } from '../src/session-view.js';

class FakeSession {
  #handler = { runs: [] as Record<string, unknown>[] };
  config = { dtype: 'q4' };
  get inputNames(): string[] {
    return ['input_ids', 'vblora.row_adapter', 'attention_mask', 'vblora.m.A'];
  }
  get inputMetadata(): { name: string }[] {
    return this.inputNames.map((name) => ({ name }));
  }
  get outputNames(): string[] {
    return ['logits'];
  }
  async run(feeds: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.#handler.runs.push(feeds);
    return { logits: Object.keys(feeds).sort() };
  }
  runs(): Record<string, unknown>[] {
    return this.#handler.runs;
  }
  async release(): Promise<string> {
    return `released ${this.#handler.runs.length}`;
  }
}

describe('sessionView', () => {
  it('hides the adapter inputs, adds their feeds to each run and forwards the rest', async () => {
    const real = new FakeSession();
    const hidden = new Set(['vblora.row_adapter', 'vblora.m.A']);
    let calls = 0;
    const view = sessionView(real, hidden, (feeds) => {
      calls++;
      expect(Object.keys(feeds).sort()).toEqual(['attention_mask', 'input_ids']);
      return { 'vblora.row_adapter': 0, 'vblora.m.A': 1 };
    });
    expect(view.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(view.inputMetadata.map((m) => m.name)).toEqual(['input_ids', 'attention_mask']);
    expect(view.outputNames).toEqual(['logits']);
    expect(view.config).toBe(real.config);
    expect(await view.run({ input_ids: 1, attention_mask: 2 })).toEqual({
      logits: ['attention_mask', 'input_ids', 'vblora.m.A', 'vblora.row_adapter'],
    });
    expect(calls).toBe(1);
    expect(real.runs()).toHaveLength(1);
    expect(await view.release()).toBe('released 1'); // `this` is the real session (private field reachable)
    expect(isSessionView(view)).toBe(true);
    expect(isSessionView(real)).toBe(false);
  });

  it('a failing feed builder rejects the run without running the session', async () => {
    const real = new FakeSession();
    const view = sessionView(real, new Set(), () => {
      throw new Error('no adapter');
    });
    await expect(view.run({})).rejects.toThrow('no adapter');
    expect(real.runs()).toHaveLength(0);
  });
});
