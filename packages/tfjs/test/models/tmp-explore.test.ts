import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { compareTensors, fromF32, tensor, toF32 } from '@vblora/core';
import { toyFromStateDict } from '../../src/models/from-state-dict.js';
import { goldenTensors, need, PEFT_GOLDEN_CASES } from '../helpers/golden.js';
import { useTfBackend } from '../helpers/tf-setup.js';

it('explore base outputs', async () => {
  for (const b of ['cpu', 'wasm']) {
    await useTfBackend(b);
    for (const c of PEFT_GOLDEN_CASES) {
      const fam = c.startsWith('gpt2') ? 'gpt2' : c.startsWith('edge') ? 'linear' : 'llama';
      const toy = toyFromStateDict(fam, goldenTensors(c, 'base.safetensors'));
      const exp = goldenTensors(c, 'expected.safetensors');
      const x = toF32(need(exp, 'input.x'));
      const y = tf.tidy(() => toy.model.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor);
      const got = fromF32(tensor('f32', y.shape, y.dataSync() as Float32Array), toy.dtype);
      y.dispose();
      const want = need(exp, 'output.base');
      const rep = compareTensors(got, want, { atol: 0, rtol: 0 });
      console.log(b, c, rep.maxAbs, rep.maxUlps, rep.mismatches, '/', rep.count);
    }
  }
});
