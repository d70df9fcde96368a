/**
 * The budgeted matcher's machine: runs a program from `python-regex-backtrack.ts` depth-first with an explicit
 * backtrack stack, counting every step against a {@link StepBudget}.
 * @module
 */
import type { PythonRegexFlags } from './python-regex-ast.js';

/** Instruction codes of the budgeted matcher's programs. */
export const Op = {
  Char: 0,
  Split: 1, // try a, then b
  Jmp: 2,
  Save: 3,
  Assert: 4,
  Look: 5,
  Backref: 6,
  Mark: 7, // remember where an optional iteration started
  ExitIfEmpty: 8, // sre: after an optional iteration that consumed nothing, no more iterations: go on after the loop
  SubMatch: 9,
  Match: 10,
} as const;
/** An instruction code. */
export type Op = (typeof Op)[keyof typeof Op];

/** Python's zero-width assertions, as `Assert` operands. */
export const ASSERTS = { bos: 0, eos: 1, bol: 2, eol: 3, word: 4, nonword: 5 } as const;
type At = (typeof ASSERTS)[keyof typeof ASSERTS];

/** One instruction; `a`/`b` are jump targets or operands. */
export interface Inst {
  op: Op;
  a: number;
  b: number;
  /** Look: behind? negate? width. */
  behind?: boolean;
  negate?: boolean;
  width?: number;
}

/** Steps left; `exhausted` throws, and is called when none are. */
export interface StepBudget {
  left: number;
  exhausted(): never;
}

/** One match attempt of a program on one name (a fresh machine per name). */
export class Vm {
  constructor(
    private readonly prog: readonly Inst[],
    private readonly tests: readonly ((c: number) => boolean)[],
    private readonly isWord: (c: number) => boolean,
    private readonly flags: PythonRegexFlags,
    private readonly input: readonly number[],
    private readonly slots: Int32Array,
    private readonly regs: Int32Array,
    private readonly budget: StepBudget,
  ) {}

  /**
   * Runs from `pc` at `pos`; returns the end position or -1. `end` ≥ 0 demands that position at Match or
   * SubMatch (fullmatch, look-behind); -1 accepts any.
   */
  run(pc: number, pos: number, end: number): number {
    const { prog, input, slots, regs, budget } = this;
    const n = input.length;
    const stack: number[] = []; // triples: kind (0 branch, 1 slot, 2 reg), a, b
    for (;;) {
      if (--budget.left < 0) budget.exhausted();
      const inst = prog[pc] as Inst;
      let ok = false;
      switch (inst.op) {
        case Op.Char:
          if (pos < n && (this.tests[inst.a] as (c: number) => boolean)(input[pos] as number)) {
            pos++;
            ok = true;
          }
          break;
        case Op.Split:
          stack.push(0, inst.b, pos);
          pc = inst.a;
          continue;
        case Op.Jmp:
          pc = inst.a;
          continue;
        case Op.Save:
          stack.push(1, inst.a, slots[inst.a] as number);
          slots[inst.a] = pos;
          ok = true;
          break;
        case Op.Assert:
          ok = this.assert(inst.a as At, pos);
          break;
        case Op.Look:
          ok = this.look(inst, pos, stack);
          break;
        case Op.Backref: {
          const to = this.backref(inst.a, pos);
          if (to >= 0) {
            pos = to;
            ok = true;
          }
          break;
        }
        case Op.Mark:
          stack.push(2, inst.a, regs[inst.a] as number);
          regs[inst.a] = pos;
          ok = true;
          break;
        case Op.ExitIfEmpty:
          if (pos === regs[inst.a]) {
            pc = inst.b;
            continue;
          }
          ok = true;
          break;
        case Op.SubMatch:
        case Op.Match:
          if (end < 0 || pos === end) return pos;
          break;
      }
      if (ok) {
        pc++;
        continue;
      }
      // Backtrack: undo captures and loop marks down to the newest branch.
      for (;;) {
        if (stack.length === 0) return -1;
        const b = stack.pop() as number;
        const a = stack.pop() as number;
        const kind = stack.pop() as number;
        if (kind === 0) {
          pc = a;
          pos = b;
          break;
        }
        if (kind === 1) slots[a] = b;
        else regs[a] = b;
      }
    }
  }

  /** Python's look-arounds are atomic; a positive one keeps the groups it set (undone if we backtrack past it). */
  private look(inst: Inst, pos: number, stack: number[]): boolean {
    const before = this.slots.slice();
    let found: boolean;
    if (inst.behind) {
      const w = inst.width as number;
      found = pos >= w && this.run(inst.a, pos - w, pos) >= 0;
    } else found = this.run(inst.a, pos, -1) >= 0;
    if (found && !inst.negate) {
      for (let i = 0; i < before.length; i++) if (this.slots[i] !== before[i]) stack.push(1, i, before[i] as number);
      return true;
    }
    this.slots.set(before);
    return found === !inst.negate;
  }

  private backref(group: number, pos: number): number {
    const start = this.slots[2 * group] as number;
    const stop = this.slots[2 * group + 1] as number;
    if (start < 0 || stop < 0) return -1; // Python: a reference to an unset group fails
    const len = stop - start;
    if (pos + len > this.input.length) return -1;
    const fold = this.flags.ignoreCase ? (this.flags.ascii ? asciiLower : simpleLower) : null;
    for (let i = 0; i < len; i++) {
      if (--this.budget.left < 0) this.budget.exhausted();
      const x = this.input[start + i] as number;
      const y = this.input[pos + i] as number;
      if (x !== y && (fold === null || fold(x) !== fold(y))) return -1;
    }
    return pos + len;
  }

  private assert(at: At, pos: number): boolean {
    const { input } = this;
    const n = input.length;
    switch (at) {
      case ASSERTS.bos:
        return pos === 0;
      case ASSERTS.eos:
        return pos === n;
      case ASSERTS.bol:
        return pos === 0 || (this.flags.multiline && input[pos - 1] === 10);
      case ASSERTS.eol:
        return this.flags.multiline
          ? pos === n || input[pos] === 10
          : pos === n || (pos === n - 1 && input[pos] === 10);
      case ASSERTS.word:
      case ASSERTS.nonword: {
        if (n === 0) return false; // sre: neither \b nor \B matches in an empty string
        const before = pos > 0 && this.isWord(input[pos - 1] as number);
        const after = pos < n && this.isWord(input[pos] as number);
        return (before !== after) === (at === ASSERTS.word);
      }
    }
  }
}

function asciiLower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** Unicode simple lower case, as `sre` compares back-references under `(?i)`. */
function simpleLower(c: number): number {
  if (c === 0x130) return 0x69; // the one code point whose full lower case is longer
  const lower = String.fromCodePoint(c).toLowerCase();
  const l = lower.codePointAt(0) as number;
  return lower.length === String.fromCodePoint(l).length ? l : c;
}
