import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peftGoldenPath } from '@vblora/conformance';
import { vblora } from '../helpers.js';
import { oneTypedLine, smallAdapter } from './helpers/hostile-adapters.js';

// #14 defect 11 (terminal part): `inspect` printed U+202E (right-to-left override) and U+2028 (line separator) from
// module names unescaped. Every place text from a file (or an argument) reaches the terminal now escapes controls,
// bidi controls, line/paragraph separators and other invisible format characters as \uXXXX — in text, in error
// messages and in --json, which stays valid JSON and parses back to the original names.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-terminal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Anything that could drive or fool a terminal, except the newline that ends a line. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const NAMES = ['model.\u202eq', 'model.\u2066q\u2069', 'model.\u200fq\u061c', 'model.q\u00ad\ufeff\u200b'];

function expectClean(text: string, what: string): void {
  expect(UNSAFE.test(text), `${what}: ${JSON.stringify(text)}`).toBe(false);
}

describe('defect 11: bidi and separator characters from a file never reach the terminal raw', () => {
  for (const name of NAMES) {
    it(`module ${JSON.stringify(name)}: inspect escapes it; --json parses back to it`, async () => {
      const dir = smallAdapter(join(tmp, `m-${name.codePointAt(6)!}-${name.length}`), undefined, name);
      const text = await vblora('inspect', dir);
      expect(text.status, text.stderr).toBe(0);
      expectClean(text.stdout + text.stderr, 'inspect');
      expect(text.stdout).toMatch(/\\u(202e|2028|2066|200f|00ad)/);
      const json = await vblora('inspect', dir, '--json');
      expect(json.status).toBe(0);
      expectClean(json.stdout, 'inspect --json');
      expect((JSON.parse(json.stdout) as { modules: { path: string }[] }).modules.map((m) => m.path)).toEqual([name]);
      const composed = await vblora('compose', dir, '-o', join(dir, '..', `c-${name.length}.safetensors`));
      expectClean(composed.stdout + composed.stderr, 'compose');
    });
  }

  it('config strings with U+2028/U+2029 and bidi controls (target_modules): escaped in text, exact in --json', async () => {
    const dir = smallAdapter(join(tmp, 'config-text'));
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const targets = ['q\u2028\u2029', '\u202ek'];
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, target_modules: targets }));
    const text = await vblora('inspect', dir);
    expect(text.status, text.stderr).toBe(0);
    expectClean(text.stdout + text.stderr, 'inspect');
    expect(text.stdout).toContain('target_modules ["q\\u2028\\u2029","\\u202ek"]');
    const json = await vblora('inspect', dir, '--json');
    expectClean(json.stdout, 'inspect --json');
    expect((JSON.parse(json.stdout) as { targetModules: string[] }).targetModules).toEqual(targets);
  });

  it('in error messages: a bidi tensor name, --adapter name and output path are escaped, one line each', async () => {
    const dir = smallAdapter(join(tmp, 'err'), undefined, 'model.\u202eq\u2028'); // U+2028 makes it no module key
    const cases = [
      ['inspect', dir],
      ['inspect', peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk'), '--adapter', 'a\u202eb/c'],
      [
        'compose',
        peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk'),
        '-o',
        join(tmp, 'no\u2028such', 'x.safetensors'),
      ],
      ['frobnicate\u202e'],
    ];
    for (const argv of cases) {
      const r = await vblora(...argv);
      expect(r.status, argv.join(' ')).toBeGreaterThan(0);
      expectClean(r.stdout + r.stderr, argv.join(' '));
      expect(r.stderr).toMatch(/\\u(202e|2028)/);
    }
  });

  it('a message carrying 400,000 blanks from a file is still one line, at once (no quadratic regex)', async () => {
    const dir = join(tmp, 'blanks');
    mkdirSync(dir);
    cpSync(
      peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk', 'adapter_config.json'),
      join(dir, 'adapter_config.json'),
    );
    const json = new TextEncoder().encode(
      `{"w":{"dtype":"F32${' '.repeat(400_000)}","shape":[1],"data_offsets":[0,4]}}`,
    );
    const file = new Uint8Array(8 + json.length + 4);
    new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
    file.set(json, 8);
    writeFileSync(join(dir, 'adapter_model.safetensors'), file);
    const t0 = performance.now();
    const r = await vblora('compose', dir, '-o', join(tmp, 'blanks.safetensors'));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(oneTypedLine('[A-Za-z]+Error'));
  });
});
