import { describe, expect, it } from 'vitest';
import {
  adapterFromFiles,
  BANK_KEY,
  CheckpointFormatError,
  ConfigError,
  createConfig,
  factorKey,
  parseConfig,
  serializeConfig,
  tensor,
  toSavedConfig,
  writeSafetensors,
} from '@vblora/core';

// Names and values from a stranger's file end up in error messages and `vblora inspect` output. Property: no C0
// control character from a file survives into a message (an ESC sequence could rewrite the user's terminal, a
// BEL or CR hide text); the offending text is shown escaped.
const ESCAPES = ['\u001b[2J', '\u001b]0;pwned\u0007', 'a\rb', '\u0008\u0008x', '\u009b31m'];
const C0 = /[\u0000-\u0009\u000b-\u001f]/;

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('control characters from files never reach a message raw', () => {
  const base = JSON.parse(
    serializeConfig(toSavedConfig(createConfig({ r: 1, num_vectors: 4, vector_length: 2, topk: 2 }))),
  ) as Record<string, unknown>;

  for (const esc of ESCAPES) {
    it(`${JSON.stringify(esc)} in bias, task_type and a tensor name`, () => {
      for (const field of ['bias', 'task_type']) {
        const text = message(() => parseConfig(JSON.stringify({ ...base, [field]: `x${esc}` })));
        expect(C0.test(text), text).toBe(false);
        expect(text).toMatch(/\\x[0-9a-f]{2}/);
      }
      const t = tensor('f32', [4, 2], new Float32Array(8));
      const path = `model.q_proj${esc}`;
      const weights = writeSafetensors(
        new Map([
          [BANK_KEY, t],
          [factorKey(path, 'A', 'logits'), tensor('f32', [1, 1, 4], new Float32Array(4))],
          [factorKey(path, 'B', 'logits'), tensor('f32', [1, 1, 4], new Float32Array(4))],
        ]),
      );
      let err: unknown;
      try {
        adapterFromFiles({ config: JSON.stringify(base), weights });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointFormatError);
      expect((err as CheckpointFormatError).rule).toBe('adapter-key');
      expect(/[\u0000-\u001f\u007f-\u009f]/.test((err as Error).message)).toBe(false);
    });
  }

  it('printable text in those messages is unchanged (PEFT’s wording)', () => {
    expect(message(() => parseConfig(JSON.stringify({ ...base, bias: 'lora' })))).toMatch(
      /^Requested bias: lora, is not implemented\./,
    );
    expect(() => parseConfig(JSON.stringify({ ...base, task_type: 'FOO' }))).toThrow(ConfigError);
  });
});
