#!/usr/bin/env node
// Exhaustive check that the CPU module's log and exp (packages/cpu/src/wat/reload.wat) return Math.log's and
// Math.exp's bits on every input PEFT's k = 2 top-k reload can give them: log on every float32 in [0, 1], exp on
// every float32 in [−110, 0] (differences of two float32 logs ≥ log(2^−149) ≈ −103.3). About 1.6 billion inputs,
// a minute or two; the test suite checks a sample. Run after `npm run build`:
// node packages/cpu/scripts/check-wasm-math.mjs
import { CpuInstance } from '../dist/cpu-instance.js';

const { exports: e } = new CpuInstance();
const f32 = new Float32Array(1);
const bits = new Uint32Array(f32.buffer);
let checked = 0;
let mismatches = 0;
const t0 = Date.now();
function check(name, wasm, math, from, to) {
  for (let b = from; b <= to; b++) {
    bits[0] = b;
    const x = f32[0];
    const a = wasm(x);
    const m = math(x);
    checked++;
    if (a !== m && !(a !== a && m !== m) && mismatches++ < 10) console.error(`${name}(${x}): wasm ${a}, Math ${m}`);
  }
}
check('log', e.math_log, Math.log, 0, 0x3f800000); // +0 … 1
check('exp', e.math_exp, Math.exp, 0x80000000, 0xc2dc0000); // −0 … −110
console.log(`${checked} float32 inputs, ${mismatches} mismatches, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(mismatches === 0 ? 0 : 1);
