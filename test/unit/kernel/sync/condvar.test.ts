// Goal: condvar's timed wait (§3.4) answers ETIMEDOUT holding the mutex when nobody wakes it, 0 when a
// wake comes first, and 0 when a wake_all took its record just as it timed out. Method: scripted
// engine processes on a ProcessWaitPort.
import { describe, expect, it } from "vitest";
import { Condvar, ETIMEDOUT, LockfreeMutex, ProcessWaitPort } from "../../../../src/kernel/index.js";
import { type Guest, Simulation, sleep } from "../../../../src/sim/index.js";

function world() {
  const sim = new Simulation({ seed: 1 });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "m");
  const cv = new Condvar(sim, port, "cv");
  const spawn = (name: string, body: () => Guest<unknown>) => port.adopt(sim.spawn(name, body));
  return { sim, port, mutex, cv, spawn };
}

describe("condvar timed wait", () => {
  it("times out with ETIMEDOUT at the deadline and returns holding the mutex", () => {
    const { sim, port, mutex, cv, spawn } = world();
    spawn("waiter", function* (): Guest {
      yield* mutex.lock();
      expect(yield* cv.wait(mutex, 300)).toBe(ETIMEDOUT);
      expect(sim.now).toBeGreaterThanOrEqual(300);
      expect(mutex.owner.value).toBe(port.current().id);
      yield* mutex.unlock();
    });
    expect(sim.run().failure).toBeNull();
    expect(cv.stats).toMatchObject({ waits: 0, timeouts: 1, wakesDelivered: 0 });
    expect(cv.waiterCount.value).toBe(0);
  });

  it("a wake before the deadline answers 0, and the waiter receives the mutex (morphing)", () => {
    const { sim, mutex, cv, spawn } = world();
    let result = -1;
    spawn("waiter", function* (): Guest {
      yield* mutex.lock();
      result = yield* cv.wait(mutex, 1000);
      yield* mutex.unlock();
    });
    spawn("waker", function* (): Guest {
      yield sleep(100);
      yield* mutex.lock();
      yield* cv.wakeOne();
      yield* mutex.unlock();
    });
    expect(sim.run().failure).toBeNull();
    expect(result).toBe(0);
    expect(sim.now).toBe(100);
    expect(cv.stats).toMatchObject({ waits: 1, timeouts: 0, wakesDelivered: 1 });
  });

  it("a timeout that finds its record taken by a wake answers 0 after waiting for that wake", () => {
    const { sim, mutex, cv, spawn } = world();
    let result = -1;
    spawn("waiter", function* (): Guest {
      yield* mutex.lock();
      result = yield* cv.wait(mutex, 100);
      yield* mutex.unlock();
    });
    spawn("waker", function* (): Guest {
      yield sleep(50);
      // Hold the user mutex across the deadline: wake_one dequeues the record and sends the lock,
      // which only arrives when we unlock, after the waiter's timer has fired.
      yield* mutex.lock();
      yield* cv.wakeOne();
      yield sleep(200);
      yield* mutex.unlock();
    });
    expect(sim.run().failure).toBeNull();
    expect(result).toBe(0);
    expect(cv.stats).toMatchObject({ waits: 1, timeouts: 0, raced: 1 });
  });
});
