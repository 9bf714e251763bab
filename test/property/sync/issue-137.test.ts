// Goal: the model reproduces OSv's open #137 - an unlocker in its hand-off loop touches the mutex
// after the token's taker has acquired it, released it and freed it. Method: fast-check choice
// sequences that are mostly 0 (keep running the current thread), so long uninterrupted runs -
// which this window needs and uniform random scheduling rarely produces - are common.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { spawnMutexDestroy } from "../../../src/scenario/programs/sync.js";
import { SequenceStrategy, Simulation } from "../../../src/sim/index.js";

const sparsePreemptions = fc.array(
  fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 7 }) }),
  { maxLength: 200, size: "max" },
);

function destroyRun(values: readonly number[]) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const { mutex } = spawnMutexDestroy(sim, 1, 0);
  return { result: sim.run(), mutex };
}

describe("OSv #137: freeing a mutex right after acquiring it through the handoff token", () => {
  it("is a use-after-free that sparse-preemption schedules find and shrink", () => {
    const details = fc.check(
      fc.property(sparsePreemptions, (values) => destroyRun(values).result.outcome === "ok"),
      { numRuns: 5000 },
    );
    expect(details.failed).toBe(true);
    const { result, mutex } = destroyRun(details.counterexample![0]);
    expect(result.failure?.check).toBe("mutex-use-after-free");
    expect(result.failure?.message).toMatch(/destroy\.mutex\.(waitqueue|handoff)/);
    expect(result.failure?.runner).toBe("destroy.user0");
    // The taker got the lock through the token the unlocker published.
    expect(mutex.stats.handoffTakes).toBe(1);
    console.log(
      `#137 found after ${details.numRuns} run(s); shrunk to ${result.choices} choices, ${result.nonZeroChoices} non-zero`,
    );
  });

  it("without the hand-off race (schedules that never preempt) the same program is clean", () => {
    expect(destroyRun([]).result.outcome).toBe("ok");
  });
});
