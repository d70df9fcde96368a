import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/command-table.js';
import { loadBenchMain } from '../src/commands/bench.js';
import { OPTIONS } from '../src/options.js';
import { vblora } from './helpers.js';

const NAMES = Object.keys(COMMANDS);
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

describe('vblora --version, help', () => {
  it('--version prints the version of @vblora/cli from its package.json', async () => {
    expect(await vblora('--version')).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('lists every command in vblora --help, vblora -h and vblora help (exit 0)', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await vblora(...argv);
      expect(r.status, argv.join(' ')).toBe(0);
      for (const name of NAMES) expect(r.stdout, name).toContain(`\n  ${name} `);
    }
  });

  it('no command: the usage, exit 2', async () => {
    const r = await vblora();
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^usage: vblora <command> \[options\]/);
  });

  for (const name of NAMES) {
    it(`${name} --help, ${name} -h and help ${name} print the usage of ${name} (exit 0), every option it accepts described`, async () => {
      const r = await vblora(name, '--help');
      expect(r).toEqual({ status: 0, stdout: r.stdout, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: vblora ${name}( |\\n)`));
      expect(await vblora(name, '-h')).toEqual(r);
      expect(await vblora('help', name)).toEqual(r);
      expect(await vblora(name, 'some-arg', '--help')).toEqual(r); // --help anywhere before "--", nothing else runs
      const options = COMMANDS[name]!.options;
      for (const option of options === 'raw' ? [] : options) {
        const short = (OPTIONS[option] as { short?: string }).short;
        expect(r.stdout, `--${option}`).toMatch(
          new RegExp(`\\n  ${short === undefined ? '' : `-${short}, `}--${option}\\b`),
        );
      }
    });
  }

  it('an unknown option is one line naming the command and its help, exit 2, and nothing runs', async () => {
    const r = await vblora('inspect', 'no-such-dir', '--frob');
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: 'vblora: inspect: unknown option --frob; see "vblora inspect --help"\n',
    });
    // an option of another command is unknown here too
    const other = await vblora('inspect', 'no-such-dir', '--base', 'x');
    expect(other.status).toBe(2);
    expect(other.stderr).toBe('vblora: inspect: unknown option --base; see "vblora inspect --help"\n');
  });

  it('other usage errors are one line too: a missing value, an unknown command, options before the command, help <unknown>', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['compose', 'x', '-o'],
        /^vblora: compose: Option '-o, --output <value>' argument missing; see "vblora compose --help"\n$/,
      ],
      [['compose', 'x'], /^vblora: compose: missing -o out\.safetensors; see "vblora compose --help"\n$/],
      [['frobnicate'], /^vblora: unknown command "frobnicate"; commands: demo, inspect, .*; see "vblora --help"\n$/],
      [
        ['--json', 'inspect'],
        /^vblora: unknown option --json: the command comes first \(vblora <command> \[options\]\); see "vblora --help"\n$/,
      ],
      [['help', 'frobnicate'], /^vblora: help: unknown command "frobnicate"; .*; see "vblora --help"\n$/],
      [['--version', 'x'], /^vblora: --version takes no arguments, got "x"; see "vblora --help"\n$/],
    ];
    for (const [argv, line] of cases) {
      const r = await vblora(...argv);
      expect(r.status, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(line);
    }
  });
});

describe('vblora bench outside the repository clone', () => {
  it('says that the benchmarks run from the clone (npm run bench): a usage error, exit 2', async () => {
    await expect(loadBenchMain('@vblora/no-such-bench')).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(
        /^bench: the benchmarks run only from the vblora\.js repository clone .*npm ci && npm run bench$/,
      ),
    });
  });

  it('bench --help answers without loading the benchmarks', async () => {
    const r = await vblora('bench', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('They run from the vblora.js repository');
  });
});
