// Goal: the scheduler's timed wait (wait_until with a sched::timer, §2.7/§2.14) answers false at the
// deadline when nothing comes, true when the predicate comes first, and leaves no timer armed after
// either, so a later wait is never cut short by a stale one. Method: OSv threads on 2 vCPUs.
import { describe, expect, it } from "vitest";
import { buildMachine } from "../../../../src/hw/index.js";
import { Kernel, TimerState } from "../../../../src/kernel/index.js";
import { type Guest, load, Simulation, store } from "../../../../src/sim/index.js";

describe("Kernel.waitUntilDeadline", () => {
  it("times out at the deadline, returns early when woken, and cancels its timer either way", () => {
    const sim = new Simulation({ seed: 1 });
    const kernel = new Kernel(sim, buildMachine(sim, { cpus: 2 }));
    const flag = sim.memory.cell("flag");
    const log: string[] = [];
    const waiter = kernel.spawn(
      "waiter",
      function* (api): Guest<void> {
        const never = function* (): Guest<boolean> {
          return false;
        };
        const raised = function* (): Guest<boolean> {
          return (yield load(flag)) === 1;
        };
        log.push(`timeout ${yield* api.waitUntilDeadline(never, 50_000)} at ${(yield* api.now()) >= 50_000}`);
        const start = yield* api.now();
        log.push(
          `woken ${yield* api.waitUntilDeadline(raised, start + 1_000_000)} early ${(yield* api.now()) < start + 1_000_000}`,
        );
        const timer = api.self().waitTimer!;
        log.push(`timer ${timer.state === TimerState.Free && timer.list === null}`);
        // A plain sleep past the old deadline is not cut short by the cancelled wait timer.
        const before = yield* api.now();
        yield* api.sleep(2_000_000);
        log.push(`slept ${(yield* api.now()) - before >= 2_000_000}`);
      },
      { cpu: 0, pinned: true },
    );
    kernel.spawn(
      "waker",
      function* (api): Guest<void> {
        yield* api.sleep(200_000);
        yield store(flag, 1);
        yield* api.wake(waiter);
      },
      { cpu: 1, pinned: true },
    );
    kernel.start();
    const result = sim.run();
    expect(result.failure).toBeNull();
    expect(log).toEqual(["timeout false at true", "woken true early true", "timer true", "slept true"]);
  });
});
