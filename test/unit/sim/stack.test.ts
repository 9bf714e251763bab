// Goal: `yield* call(g)` behaves exactly like `yield* g` (same effects, same order, same results,
// return values, exceptions) while the runner resumes only the innermost generator; runaway nesting
// is refused at MAX_CALL_DEPTH.
import { describe, expect, it } from "vitest";
import {
  call,
  compute,
  DONE,
  type Effect,
  fetchAdd,
  type Guest,
  GuestStack,
  load,
  MAX_CALL_DEPTH,
  Simulation,
  store,
} from "../../../src/sim/index.js";

function* leaf(tag: number): Guest<string> {
  const got = yield compute(tag);
  return `leaf${tag}:${got}`;
}

function* middle(viaCall: boolean): Guest<string[]> {
  const out: string[] = [];
  out.push(viaCall ? yield* call(leaf(1)) : yield* leaf(1));
  out.push(viaCall ? yield* call(leaf(2)) : yield* leaf(2));
  return out;
}

/** Drives a stack by hand, answering each effect with its `a` plus 100; collects what it saw. */
function drive(stack: GuestStack): { effects: number[]; result: unknown } {
  const effects: number[] = [];
  let effect: Effect = stack.next(undefined);
  while (effect !== DONE) {
    effects.push(effect.a);
    effect = stack.next(effect.a + 100);
  }
  return { effects, result: stack.result };
}

describe("GuestStack", () => {
  it("gives a call the same effects, results and return value as yield*", () => {
    const viaCall = drive(new GuestStack(middle(true)));
    const viaDelegation = drive(new GuestStack(middle(false)));
    expect(viaCall).toEqual({ effects: [1, 2], result: ["leaf1:101", "leaf2:102"] });
    expect(viaDelegation).toEqual(viaCall);
  });

  it("keeps only the running calls on the stack", () => {
    const depths: number[] = [];
    const holder: { stack: GuestStack | null } = { stack: null };
    const depth = (): number => holder.stack!.depth;
    const stack = new GuestStack(
      (function* (): Guest<void> {
        yield* call(
          (function* (): Guest<void> {
            yield* call(
              (function* (): Guest<void> {
                depths.push(depth());
                yield compute(1);
              })(),
            );
            depths.push(depth());
            yield compute(2);
          })(),
        );
        depths.push(depth());
        yield compute(3);
      })(),
    );
    holder.stack = stack;
    expect(drive(stack).effects).toEqual([1, 2, 3]);
    expect(depths).toEqual([3, 2, 1]);
  });

  it("throws an exception out of a call into its caller, as yield* does", () => {
    function* failing(): Guest<void> {
      yield compute(5);
      throw new Error("inner");
    }
    const stack = new GuestStack(
      (function* (): Guest<string> {
        try {
          yield* call(failing());
          return "no";
        } catch (error) {
          yield compute(6);
          return (error as Error).message;
        }
      })(),
    );
    expect(drive(stack)).toEqual({ effects: [5, 6], result: "inner" });
    const uncaught = new GuestStack(
      (function* (): Guest<void> {
        yield* call(failing());
      })(),
    );
    expect(() => drive(uncaught)).toThrow("inner");
  });

  it(`refuses calls nested more than ${MAX_CALL_DEPTH} deep`, () => {
    function* recurse(): Guest<void> {
      yield* call(recurse());
    }
    expect(() => drive(new GuestStack(recurse()))).toThrow(/nested more than 256 deep/);
  });

  it("runs calls on a Process with the same memory effects and final state", () => {
    const run = (viaCall: boolean): { value: number; digest: string; events: number } => {
      const sim = new Simulation({ seed: 3 });
      const cell = sim.memory.cell("x");
      function* bump(n: number): Guest<number> {
        for (let i = 0; i < n; i++) yield fetchAdd(cell, 1);
        return yield load(cell);
      }
      for (const name of ["p", "q"])
        sim.spawn(name, function* (): Guest<void> {
          const seen = viaCall ? yield* call(bump(3)) : yield* bump(3);
          yield store(sim.memory.cell(`seen.${name}`), seen);
        });
      const result = sim.run();
      return { value: cell.value, digest: result.digest, events: result.events };
    };
    expect(run(true)).toEqual(run(false));
    expect(run(true).value).toBe(6);
  });
});
