// Goal: the engine's interleaving search finds real races and proves their absence where there are
// none. Method: fast-check generates choice sequences (the sequence strategy) and shrinks failing ones;
// each property runs a small guest program and checks its outcome.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildCounterDemo,
  compute,
  fetchAdd,
  type Guest,
  load,
  type Process,
  SequenceStrategy,
  Simulation,
  store,
} from "../../../src/index.js";
import { lock, makeLock, unlock } from "./helpers.js";

const schedules = fc.array(fc.nat({ max: 3 }), { maxLength: 60 });

function counterRun(values: readonly number[], racy: boolean) {
  const sim = buildCounterDemo(
    { threads: 2, increments: 1, racy },
    { strategy: new SequenceStrategy(values) },
  );
  return sim.run();
}

describe("shared counter", () => {
  it("load-add-store loses an update under some schedule, shrunk to at most 2 non-zero choices", () => {
    const details = fc.check(
      fc.property(schedules, (values) => counterRun(values, true).outcome === "ok"),
      { numRuns: 1000 },
    );
    expect(details.failed).toBe(true);
    const shrunk = details.counterexample![0];
    const rerun = counterRun(shrunk, true);
    expect(rerun.outcome).toBe("violation");
    expect(rerun.failure?.message).toMatch(/update was lost/);
    expect(rerun.nonZeroChoices).toBeGreaterThan(0);
    expect(rerun.nonZeroChoices).toBeLessThanOrEqual(2);
  });

  it("fetch_add never loses an update over 1000 schedules", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 3 }), { maxLength: 200 }), (values) => {
        const sim = buildCounterDemo(
          { threads: 3, increments: 5, racy: false },
          { strategy: new SequenceStrategy(values) },
        );
        const result = sim.run();
        expect(result.outcome).toBe("ok");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("Peterson's lock under sequential consistency", () => {
  function peterson(values: readonly number[], rounds: number) {
    const sim = new Simulation({ strategy: new SequenceStrategy(values) });
    const flags = sim.memory.array("flag", 2);
    const turn = sim.memory.cell("turn");
    const shared = sim.memory.cell("shared");
    let inside = 0;
    for (let me = 0; me < 2; me++) {
      const other = 1 - me;
      sim.spawn(`p${me}`, function* (): Guest {
        for (let r = 0; r < rounds; r++) {
          yield store(flags[me]!, 1);
          yield store(turn, other);
          while ((yield load(flags[other]!)) === 1 && (yield load(turn)) === other) yield compute(5);
          inside++;
          sim.assert(inside === 1, "mutual-exclusion", () => `${inside} threads in the critical section`);
          const v = yield load(shared);
          yield store(shared, v + 1);
          inside--;
          yield store(flags[me]!, 0);
        }
      });
    }
    sim.addCheck("count", () => (shared.value === 2 * rounds ? null : `shared is ${shared.value}`));
    return sim.run();
  }

  it("keeps mutual exclusion over 1000 schedules", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 3 }), { maxLength: 300 }), (values) => {
        const result = peterson(values, 3);
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
      }),
      { numRuns: 1000 },
    );
  });

  it("is broken by dropping the turn variable, and the search finds it", () => {
    const broken = (values: readonly number[]) => {
      const sim = new Simulation({ strategy: new SequenceStrategy(values) });
      const flags = sim.memory.array("flag", 2);
      let inside = 0;
      for (let me = 0; me < 2; me++) {
        sim.spawn(`p${me}`, function* (): Guest {
          while ((yield load(flags[1 - me]!)) === 1) yield compute(5);
          yield store(flags[me]!, 1);
          inside++;
          yield load(flags[me]!);
          sim.assert(inside === 1, "mutual-exclusion", "both inside");
          inside--;
          yield store(flags[me]!, 0);
        });
      }
      return sim.run();
    };
    const details = fc.check(
      fc.property(
        fc.array(fc.nat({ max: 3 }), { maxLength: 40 }),
        (values) => broken(values).outcome === "ok",
      ),
      { numRuns: 1000 },
    );
    expect(details.failed).toBe(true);
    expect(broken(details.counterexample![0]).failure?.check).toBe("mutual-exclusion");
  });
});

describe("deadlock", () => {
  function twoLocks(values: readonly number[], workBetweenNs: number) {
    const sim = new Simulation({ strategy: new SequenceStrategy(values) });
    const a = makeLock(sim, "A");
    const b = makeLock(sim, "B");
    const order = [
      [a, b],
      [b, a],
    ] as const;
    for (let t = 0; t < 2; t++) {
      const [first, second] = order[t]!;
      sim.spawn(`t${t}`, function* (self: Process): Guest {
        yield* lock(first, self);
        if (workBetweenNs > 0) yield compute(workBetweenNs);
        yield* lock(second, self);
        yield fetchAdd(sim.memory.cell("unused"), 0);
        yield* unlock(second);
        yield* unlock(first);
      });
    }
    return sim.run();
  }

  it("a two-lock cycle always deadlocks when both take their first lock", () => {
    fc.assert(
      fc.property(schedules, (values) => {
        const result = twoLocks(values, 100);
        expect(result.outcome).toBe("deadlock");
        expect(result.reason).toMatch(/blocked: t0, t1/);
      }),
      { numRuns: 200 },
    );
  });

  it("without work in between, some schedules complete and some deadlock", () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(schedules, (values) => {
        const outcome = twoLocks(values, 0).outcome;
        expect(["ok", "deadlock"]).toContain(outcome);
        outcomes.add(outcome);
      }),
      { numRuns: 300 },
    );
    expect([...outcomes].sort()).toEqual(["deadlock", "ok"]);
  });
});
