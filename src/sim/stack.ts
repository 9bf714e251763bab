// A guest's call stack, kept explicitly. A generator that delegates with `yield*` is resumed on
// every yield of everything below it, so an effect yielded N calls deep costs N generator resumes
// (about 15-20 ns each on Node 20): a kernel's scheduler, seven calls under a thread's entry point,
// paid that on every load. `yield* call(g)` instead hands `g` to the runner, which pushes it here
// and resumes only the innermost generator; when `g` returns, its value resumes the caller. Effects,
// their order and their results are unchanged: a call is local, never dispatched or recorded.

import { type Effect, type Guest, Op } from "./effects.js";

/** Calls nested on one stack before the run fails: runaway recursion, never a real kernel path. */
export const MAX_CALL_DEPTH = 256;

type AnyGenerator = Generator<Effect, unknown, unknown>;

// %GeneratorPrototype%.next, shared by every generator. `generator.next(v)` looks `next` up through
// the generator function's own prototype, and a kernel's stack holds dozens of generator functions,
// so that lookup is megamorphic (V8's slowest inline-cache state: 3.5% of a ping-pong's time under
// perf); calling the one function directly skips it. So guests must be native generators (a
// hand-written iterator would fail here with a TypeError, thrown into its caller).
const generatorNext = Object.getPrototypeOf(function* () {}).prototype.next as (
  this: AnyGenerator,
  value: unknown,
) => IteratorResult<Effect, unknown>;

/** What `next` answers: an effect to perform, or DONE with the base generator's return in `result`. */
export const DONE: Effect = Object.freeze({ op: -1, cell: null, a: 0, b: 0, target: null });

export class GuestStack {
  private readonly generators: AnyGenerator[];
  /** The base generator's return value, once `next` has answered DONE. */
  result: unknown;

  constructor(base: Guest<unknown>) {
    this.generators = [base as AnyGenerator];
  }

  get depth(): number {
    return this.generators.length;
  }

  /** Replaces the whole stack with `base` (a vCPU's interrupt epilogue takes over its frame). */
  reset(base: Guest<unknown>): void {
    this.generators.length = 0;
    this.generators.push(base as AnyGenerator);
  }

  /**
   * Resumes the innermost generator with `value` and runs until some generator yields an effect
   * that is not a call; answers it, or DONE when the base generator returned.
   */
  next(value: unknown): Effect {
    const generators = this.generators;
    let resumeWith = value;
    // An exception leaving a call is thrown into its caller, as `yield*` would.
    let thrown: unknown;
    let throwing = false;
    for (;;) {
      const top = generators[generators.length - 1]!;
      let step: IteratorResult<Effect, unknown>;
      try {
        if (throwing) {
          throwing = false;
          step = top.throw(thrown);
        } else step = generatorNext.call(top, resumeWith);
      } catch (error) {
        if (generators.length === 1) throw error;
        generators.pop();
        thrown = error;
        throwing = true;
        continue;
      }
      if (step.done === true) {
        if (generators.length === 1) {
          this.result = step.value;
          return DONE;
        }
        generators.pop();
        resumeWith = step.value;
        continue;
      }
      const effect = step.value;
      if (effect.op !== Op.Call) return effect;
      if (generators.length >= MAX_CALL_DEPTH)
        throw new RangeError(`guest calls nested more than ${MAX_CALL_DEPTH} deep`);
      generators.push(effect.target as AnyGenerator);
      resumeWith = undefined;
    }
  }
}
