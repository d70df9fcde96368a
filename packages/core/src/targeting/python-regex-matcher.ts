/**
 * One compiled pattern (or one hoisted part of it): RE2 (`re2js`) when it can express it, else the budgeted
 * matcher, whose step allowance is kept here.
 * @module
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { ConfigError, ResourceLimitError } from '../errors.js';
import type { PythonRegexFlags, RegexNode } from './python-regex-ast.js';
import { BacktrackProgram, type StepBudget } from './python-regex-backtrack.js';
import { toRe2, type Re2Translation } from './python-regex-re2.js';

/** The budgeted matcher's allowance: this much up front, plus per call a share that grows with name × pattern. */
export const BACKTRACK_BUDGET = { initialSteps: 1_000_000, stepsPerCell: 16, maxStepsPerCall: 1_000_000 } as const;

/** @internal What a matcher needs to know about its pattern. */
export interface Context {
  readonly pattern: string;
  readonly origin: string;
  readonly field: string;
  readonly flags: PythonRegexFlags;
  readonly fail: (reason: string) => ConfigError;
  readonly forceBacktracking: boolean;
}

/** @internal A yes/no matcher. */
export interface Tester {
  test(name: string): boolean;
  readonly engine: 'linear' | 'backtracking';
  readonly steps: number;
}

/** @internal One pattern (or hoisted part): RE2 when it can express it, else the budgeted matcher. */
export class Matcher implements Tester {
  private program: BacktrackProgram | null = null;
  private readonly budget: Budget;
  // RE2 programs, compiled on first use: as written, and with large repeats spelled out (yes/no answers only).
  private plain: Linear | null | undefined;
  private spelled: Linear | null | undefined;
  /** Why RE2 cannot take the pattern (set once `plain` is known to be null). */
  private blocker = 'the option forcing the budgeted matcher';

  constructor(
    private readonly ast: RegexNode,
    private readonly groups: number,
    private readonly full: boolean,
    private readonly ctx: Context,
  ) {
    this.budget = new Budget(ctx);
    if (ctx.forceBacktracking) this.plain = this.spelled = null;
  }

  get engine(): 'linear' | 'backtracking' {
    return this.forTest() !== null ? 'linear' : 'backtracking';
  }

  get steps(): number {
    return this.budget.spent;
  }

  test(name: string): boolean {
    const linear = this.forTest();
    if (linear !== null && linear.inputOk(name)) return linear.re2.test(name);
    return this.backtrack(name, linear === null ? this.blocker : READS_DIFFERENTLY) !== null;
  }

  /** `viaBacktracking`: why RE2's group values would differ from Python's (then the budgeted path answers). */
  exec(name: string, viaBacktracking: string | null): (string | undefined)[] | null {
    const linear = viaBacktracking === null ? this.forExec() : null;
    if (linear !== null && linear.inputOk(name)) {
      const m = linear.re2.exec(name);
      return m === null
        ? null
        : Array.from({ length: this.groups + 1 }, (_, i) => (m[i] ?? undefined) as string | undefined);
    }
    const slots = this.backtrack(name, viaBacktracking ?? (linear === null ? this.blocker : READS_DIFFERENTLY));
    if (slots === null) return null;
    const chars = Array.from(name);
    return Array.from({ length: this.groups + 1 }, (_, g) => {
      const s = slots[2 * g] as number;
      const e = slots[2 * g + 1] as number;
      return s < 0 || e < 0 ? undefined : chars.slice(s, e).join('');
    });
  }

  private forExec(): Linear | null {
    if (this.plain === undefined) {
      const t = toRe2(this.ast, this.ctx.flags);
      if (!t.ok) {
        this.plain = this.spelled = null; // spelling repeats out would not help
        this.blocker = t.blocker;
      } else {
        this.plain = compileRe2(t, this.full, this.ctx);
        if (this.plain === null) this.blocker = 'its repeat counts (RE2 allows 1,000)';
      }
    }
    return this.plain;
  }

  private forTest(): Linear | null {
    const plain = this.forExec();
    if (plain !== null) return plain;
    this.spelled ??= compileRe2(toRe2(this.ast, this.ctx.flags, true), this.full, this.ctx);
    return this.spelled;
  }

  /** `reason` says why this name needs the budgeted matcher (for the error when the budget runs out). */
  private backtrack(name: string, reason: string): Int32Array | null {
    this.program ??= BacktrackProgram.compile(this.ast, this.ctx.flags, this.groups, this.ctx.fail);
    this.budget.grant(name, this.program.size, reason);
    return this.program.match(name, this.full, this.budget);
  }
}

const READS_DIFFERENTLY = 'a name RE2 reads differently (a newline before its end, or non-ASCII letters at \\b or \\B)';

interface Linear {
  readonly re2: RE2JS;
  readonly inputOk: (name: string) => boolean;
}

/** RE2 for a translation; null when RE2 refuses its repeat counts (try spelling them out, then backtrack). */
function compileRe2(t: Re2Translation, full: boolean, ctx: Context): Linear | null {
  if (!t.ok) return null;
  let flags = ctx.flags.ignoreCase && !ctx.flags.ascii ? RE2JS.CASE_INSENSITIVE : 0;
  if (t.lookbehind) flags |= RE2JS.LOOKBEHINDS;
  const source = `\\A(?:${t.source})${full ? '\\z' : ''}`;
  try {
    return { re2: RE2JS.compile(source, flags), inputOk: t.inputOk };
  } catch (e) {
    // RE2 caps repeat counts (1,000, also as a product when nested); anything else is a translation bug.
    if (e instanceof RE2JSSyntaxException && /invalid repeat count|too large/.test(e.message)) return null;
    throw ctx.fail(`RE2 rejected its translation ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}

/** The step allowance of one compiled pattern, shared by all the names it is matched against. */
class Budget implements StepBudget {
  left: number = BACKTRACK_BUDGET.initialSteps;
  private granted: number = BACKTRACK_BUDGET.initialSteps;
  private name = '';
  private reason = '';

  constructor(private readonly ctx: Context) {}

  get spent(): number {
    return this.granted - Math.max(this.left, 0);
  }

  grant(name: string, programSize: number, reason: string): void {
    const cells = (Array.from(name).length + 1) * (programSize + 1);
    const more = Math.min(BACKTRACK_BUDGET.stepsPerCell * cells, BACKTRACK_BUDGET.maxStepsPerCall);
    this.left = Math.max(this.left, 0) + more;
    this.granted += more;
    this.name = name;
    this.reason = reason;
  }

  exhausted(): never {
    const { pattern, origin } = this.ctx;
    const name = this.name.length > 120 ? `${this.name.slice(0, 100)}… (${this.name.length} characters)` : this.name;
    throw new ResourceLimitError(
      `Regular expression ${JSON.stringify(pattern)} (from ${origin}) used up its ${this.granted} backtracking ` +
        `steps on module ${JSON.stringify(name)}. It is matched on a step budget, not in linear time, because of ` +
        `${this.reason}; rewrite it without look-ahead and back-references (e.g. list the module names), or with ` +
        'fewer nested repeats.',
      'regex-steps',
    );
  }
}
