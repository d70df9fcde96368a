/**
 * A backtracking matcher with a step budget, for the Python constructs a linear-time engine cannot express
 * (look-ahead, back-references, captures inside look-behind, repeat counts RE2 refuses) and for the few names
 * on which RE2's `$`, `\b`, `\B` read differently from Python's.
 *
 * It works like CPython's `sre`: depth-first, in priority order, on code points, with atomic look-arounds and
 * Python's anchors. Unlike `sre` it counts its steps against a budget owned by the caller and throws when the
 * budget is spent, so no pattern can run for long. Character sets are the same RE2 classes the linear path uses
 * (one `re2js` test per distinct code point, remembered), so both paths agree on what a set contains.
 * @module
 */
import { RE2JS } from 're2js';
import { ConfigError } from '../errors.js';
import type { PythonRegexFlags, RegexNode } from './python-regex-ast.js';
import { re2CharClass } from './python-regex-charset.js';
import { ASSERTS, Op, Vm, type Inst, type StepBudget } from './python-regex-vm.js';

export type { StepBudget } from './python-regex-vm.js';

/** Instructions beyond this are refused: counted repeats are expanded, so `(?:a{999}){999}` would be huge. */
export const MAX_PROGRAM = 500_000;

const TOO_LARGE = `it expands to more than ${MAX_PROGRAM} matcher instructions (counted repeats are unrolled); use smaller repeat counts`;

/** Instructions the compiler will emit (an upper bound, computed before emitting anything; saturates). */
function programSize(n: RegexNode): number {
  switch (n.t) {
    case 'seq':
      return n.items.reduce((s, i) => s + programSize(i), 0);
    case 'alt':
      return n.branches.reduce((s, b) => s + programSize(b) + 2, 0);
    case 'group':
      return programSize(n.body) + 2;
    case 'repeat': {
      const body = programSize(n.body) + 3;
      const optional = n.max === Infinity ? 1 : n.max - n.min;
      return Math.min(body * (n.min + optional) + 1, Number.MAX_SAFE_INTEGER);
    }
    default:
      return 1;
  }
}

/** A compiled program: run it with {@link BacktrackProgram.match}. */
export class BacktrackProgram {
  private constructor(
    private readonly prog: readonly Inst[],
    private readonly tests: readonly ((c: number) => boolean)[],
    private readonly isWord: (c: number) => boolean,
    private readonly flags: PythonRegexFlags,
    readonly groups: number,
    private readonly regs: number,
  ) {}

  /** Compiles the tree; throws {@link ConfigError} (via `fail`) when the expanded program is too large. */
  static compile(
    ast: RegexNode,
    flags: PythonRegexFlags,
    groups: number,
    fail: (reason: string) => ConfigError,
  ): BacktrackProgram {
    if (programSize(ast) > MAX_PROGRAM) throw fail(TOO_LARGE);
    const c = new Compiler(flags, fail);
    c.main(ast);
    const wordClass = re2CharClass(false, [{ k: 'cat', cat: 'w' }], flags);
    return new BacktrackProgram(c.prog, c.tests, c.tester(wordClass), flags, groups, c.regs);
  }

  /** Program size in instructions (what the budget is scaled by). */
  get size(): number {
    return this.prog.length;
  }

  /**
   * Python's `fullmatch` (`full`) or `match` of the whole program on `name`: the group spans (start, end per
   * group, -1 when unset; group 0 first) or null. Spends `budget`.
   */
  match(name: string, full: boolean, budget: StepBudget): Int32Array | null {
    const input = Array.from(name, (ch) => ch.codePointAt(0) as number);
    const slots = new Int32Array(2 * (this.groups + 1)).fill(-1);
    const vm = new Vm(this.prog, this.tests, this.isWord, this.flags, input, slots, new Int32Array(this.regs), budget);
    const end = vm.run(0, 0, full ? input.length : -1);
    if (end < 0) return null;
    slots[0] = 0;
    slots[1] = end;
    return slots;
  }
}

class Compiler {
  readonly prog: Inst[] = [];
  readonly tests: ((c: number) => boolean)[] = [];
  regs = 0;
  private readonly testIndex = new Map<string, number>();
  private readonly pending: { at: number; body: RegexNode }[] = [];
  private groupNumbers = new Map<RegexNode, number>();
  private readonly bodies = new Map<number, RegexNode>();

  constructor(
    private readonly flags: PythonRegexFlags,
    private readonly fail: (reason: string) => ConfigError,
  ) {}

  main(ast: RegexNode): void {
    this.groupNumbers = numberGroups(ast);
    for (const [node, g] of this.groupNumbers) if (node.t === 'group') this.bodies.set(g, node.body);
    this.node(ast);
    this.emit(Op.Match);
    // Look-around bodies go after the main program, each ending in SubMatch.
    for (let i = 0; i < this.pending.length; i++) {
      const { at, body } = this.pending[i] as { at: number; body: RegexNode };
      (this.prog[at] as Inst).a = this.prog.length;
      this.node(body);
      this.emit(Op.SubMatch);
    }
  }

  tester(source: string): (c: number) => boolean {
    const caseFold = this.flags.ignoreCase && !this.flags.ascii;
    const re = RE2JS.compile(source, caseFold ? RE2JS.CASE_INSENSITIVE : 0);
    const ascii = new Uint8Array(128); // 0 unknown, 1 no, 2 yes
    const other = new Map<number, boolean>();
    return (c) => {
      if (c < 128) {
        const k = ascii[c] as number;
        if (k !== 0) return k === 2;
        const r = re.testExact(String.fromCharCode(c));
        ascii[c] = r ? 2 : 1;
        return r;
      }
      let r = other.get(c);
      if (r === undefined) {
        r = re.testExact(String.fromCodePoint(c));
        other.set(c, r);
      }
      return r;
    };
  }

  private emit(op: Op, a = 0, b = 0): number {
    if (this.prog.length >= MAX_PROGRAM) throw this.fail(TOO_LARGE);
    this.prog.push({ op, a, b });
    return this.prog.length - 1;
  }

  private node(n: RegexNode): void {
    switch (n.t) {
      case 'seq':
        for (const i of n.items) this.node(i);
        return;
      case 'alt': {
        const jumps: number[] = [];
        n.branches.forEach((b, i) => {
          if (i < n.branches.length - 1) {
            const split = this.emit(Op.Split, this.prog.length + 1);
            this.node(b);
            jumps.push(this.emit(Op.Jmp));
            (this.prog[split] as Inst).b = this.prog.length;
          } else this.node(b);
        });
        for (const j of jumps) (this.prog[j] as Inst).a = this.prog.length;
        return;
      }
      case 'group': {
        if (n.look !== null) {
          const at = this.emit(Op.Look);
          const inst = this.prog[at] as Inst;
          inst.behind = n.look === 'behind';
          inst.negate = n.open.endsWith('!');
          inst.width = n.look === 'behind' ? (fixedWidth(n.body, (g) => this.bodies.get(g)) ?? 0) : 0; // checked by compile
          this.pending.push({ at, body: n.body });
          return;
        }
        if (n.open === '(?:') {
          this.node(n.body);
          return;
        }
        const g = this.groupNumbers.get(n) as number;
        this.emit(Op.Save, 2 * g);
        this.node(n.body);
        this.emit(Op.Save, 2 * g + 1);
        return;
      }
      case 'repeat':
        this.repeat(n.body, n.min, n.max, n.lazy);
        return;
      case 'set': {
        const source = re2CharClass(n.negate, n.items, this.flags);
        let i = this.testIndex.get(source);
        if (i === undefined) {
          i = this.tests.length;
          this.tests.push(this.tester(source));
          this.testIndex.set(source, i);
        }
        this.emit(Op.Char, i);
        return;
      }
      case 'backref':
        this.emit(Op.Backref, n.group);
        return;
      case 'assert':
        this.emit(Op.Assert, ASSERTS[n.at]);
        return;
    }
  }

  /**
   * `body{min,max}`: `min` copies, then optional iterations, each guarded as `sre`'s MAX_UNTIL/MIN_UNTIL do: an
   * optional iteration that consumed nothing ends the loop (its groups stay set). Unbounded loops jump back.
   */
  private repeat(body: RegexNode, min: number, max: number, lazy: boolean): void {
    for (let i = 0; i < min; i++) this.node(body);
    const guarded = canBeEmpty(body);
    const reg = guarded ? this.regs++ : -1;
    const exits: number[] = [];
    const optional = (): number => {
      const split = this.emit(Op.Split);
      if (guarded) this.emit(Op.Mark, reg);
      this.node(body);
      if (guarded) exits.push(this.emit(Op.ExitIfEmpty, reg));
      return split;
    };
    const splits: number[] = [];
    if (max === Infinity) {
      const loop = optional();
      this.emit(Op.Jmp, loop);
      splits.push(loop);
    } else for (let i = min; i < max; i++) splits.push(optional());
    const end = this.prog.length;
    for (const s of splits) setSplit(this.prog[s] as Inst, s + 1, end, lazy);
    for (const e of exits) (this.prog[e] as Inst).b = end;
  }
}

/** Group numbers in the order of their `(` (a pre-order walk), shared by every unrolled copy of a repeat. */
export function numberGroups(root: RegexNode): Map<RegexNode, number> {
  const out = new Map<RegexNode, number>();
  const walk = (n: RegexNode): void => {
    if (n.t === 'seq') n.items.forEach(walk);
    else if (n.t === 'alt') n.branches.forEach(walk);
    else if (n.t === 'repeat') walk(n.body);
    else if (n.t === 'group') {
      if (n.look === null && n.open !== '(?:') out.set(n, out.size + 1);
      walk(n.body);
    }
  };
  walk(root);
  return out;
}

function setSplit(inst: Inst, body: number, exit: number, lazy: boolean): void {
  inst.a = lazy ? exit : body;
  inst.b = lazy ? body : exit;
}

/**
 * Whether a sub-pattern can match without consuming anything; a back-reference can when its group can
 * (`groupBody` finds it; without it every back-reference counts as possibly empty).
 */
export function canBeEmpty(n: RegexNode, groupBody?: (group: number) => RegexNode | undefined): boolean {
  const rec = (m: RegexNode): boolean => canBeEmpty(m, groupBody);
  switch (n.t) {
    case 'seq':
      return n.items.every(rec);
    case 'alt':
      return n.branches.some(rec);
    case 'group':
      return n.look !== null || rec(n.body);
    case 'repeat':
      return n.min === 0 || rec(n.body);
    case 'set':
      return false;
    case 'backref': {
      const body = groupBody?.(n.group);
      return body === undefined || rec(body);
    }
    default:
      return true;
  }
}

/** Fixed width in code points, or null (Python requires one inside look-behinds; a back-reference has its group's). */
export function fixedWidth(n: RegexNode, groupBody?: (group: number) => RegexNode | undefined): number | null {
  const w = (m: RegexNode): number | null => fixedWidth(m, groupBody);
  switch (n.t) {
    case 'set':
      return 1;
    case 'assert':
      return 0;
    case 'backref': {
      const body = groupBody?.(n.group);
      return body === undefined ? null : w(body);
    }
    case 'group':
      return n.look !== null ? 0 : w(n.body);
    case 'repeat': {
      const x = w(n.body);
      return x !== null && n.min === n.max ? x * n.min : null;
    }
    case 'seq': {
      let sum = 0;
      for (const i of n.items) {
        const x = w(i);
        if (x === null) return null;
        sum += x;
      }
      return sum;
    }
    case 'alt': {
      const ws = n.branches.map(w);
      return ws.every((x) => x !== null && x === ws[0]) ? (ws[0] as number) : null;
    }
  }
}
