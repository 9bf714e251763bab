// Goal: the semaphore grants in the waker and not strictly FIFO (§3.6), a timed-out wait removes its
// record (506eb73b) so later posts reach live waiters, and the variant without that fix loses the
// units a post grants to the dead record. Method: scripted engine processes on a ProcessWaitPort.
import { describe, expect, it } from "vitest";
import { ProcessWaitPort, Semaphore, type SemaphoreVariant } from "../../../../src/kernel/index.js";
import { type Guest, Simulation, sleep } from "../../../../src/sim/index.js";

function world(initial: number, variant: SemaphoreVariant = "correct") {
  const sim = new Simulation({ seed: 1 });
  const port = new ProcessWaitPort(sim);
  const sem = new Semaphore(sim, port, "sem", initial, { variant });
  const spawn = (name: string, body: () => Guest<unknown>) => port.adopt(sim.spawn(name, body));
  return { sim, sem, spawn };
}

describe("semaphore", () => {
  it("post grants a later small request while an earlier large one keeps waiting (not FIFO)", () => {
    const { sim, sem, spawn } = world(0);
    const log: string[] = [];
    spawn("big", function* (): Guest {
      expect(yield* sem.wait(3)).toBe(true);
      log.push(`big got 3 at ${sim.now}`);
    });
    spawn("small", function* (): Guest {
      yield sleep(10);
      expect(yield* sem.wait(1)).toBe(true);
      log.push(`small got 1 at ${sim.now}`);
    });
    spawn("poster", function* (): Guest {
      yield sleep(100);
      yield* sem.post(2);
      expect(sem.value).toBe(1);
      expect(sem.queued.map((r) => r.thread.name)).toEqual(["big"]);
      yield sleep(100);
      yield* sem.post(2);
    });
    expect(sim.run().failure).toBeNull();
    expect(log).toEqual(["small got 1 at 100", "big got 3 at 200"]);
    expect(sem.value).toBe(0);
    expect(sem.stats.outOfOrderGrants).toBe(1);
    expect(sem.unitsMissing).toBe(0);
  });

  it("trywait takes exactly the units there are (value >= units, after 6b459dd9)", () => {
    const { sim, sem, spawn } = world(2);
    spawn("t", function* (): Guest {
      expect(yield* sem.tryWait(3)).toBe(false);
      expect(yield* sem.tryWait(2)).toBe(true);
      expect(yield* sem.tryWait(1)).toBe(false);
    });
    expect(sim.run().failure).toBeNull();
    expect(sem.value).toBe(0);
  });

  for (const variant of ["correct", "semaphore-timeout-leaves-record"] as const) {
    it(`${variant}: a timed-out wait, then a post and a second waiter`, () => {
      const { sim, sem, spawn } = world(0, variant);
      let second = false;
      spawn("timed", function* (): Guest {
        expect(yield* sem.wait(2, 50)).toBe(false);
        expect(sim.now).toBe(50);
      });
      spawn("later", function* (): Guest {
        yield sleep(60);
        second = yield* sem.wait(2, 500);
      });
      spawn("poster", function* (): Guest {
        yield sleep(100);
        yield* sem.post(2);
      });
      expect(sim.run().failure).toBeNull();
      if (variant === "correct") {
        // The record went with the timeout: the post reaches the live waiter.
        expect(second).toBe(true);
        expect(sem.stats.timeouts).toBe(1);
        expect(sem.unitsMissing).toBe(0);
      } else {
        // The post granted the dead record; the units are gone and the live waiter times out.
        expect(second).toBe(false);
        expect(sem.account.grantedToDeadRecords).toBe(2);
        expect(sem.unitsMissing).toBe(2);
        expect(sem.value).toBe(0);
      }
    });
  }
});
