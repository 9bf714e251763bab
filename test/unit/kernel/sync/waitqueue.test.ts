// Goal: the waitqueue's FIFO survives tst-wait-for's arm/disarm orderings, #1285's six steps break
// it only in the "waitqueue-stale-tail" variant (as a model violation, not a crash), and wait_for
// morphs wake_one into the mutex and times out. Method: scripted engine processes on a
// ProcessWaitPort, timed with sleeps, under the default schedule.
import { describe, expect, it } from "vitest";
import {
  LockfreeMutex,
  ProcessWaitPort,
  WaitObject,
  Waitqueue,
  type WaitqueueOptions,
  WaitRecord,
  waitFor,
} from "../../../../src/kernel/index.js";
import { type Guest, type Process, Simulation, sleep } from "../../../../src/sim/index.js";

function world(options: WaitqueueOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "mtx");
  const queue = new Waitqueue(sim, port, "wq", options);
  const spawn = (name: string, body: () => Guest<unknown>): Process => {
    const process = sim.spawn(name, body);
    port.adopt(process);
    return process;
  };
  return { sim, port, mutex, queue, spawn };
}

/** tst-wait-for's test_waitqueue_linked_list_3: three wait_objects of one thread, under the mutex. */
function sixSteps(options: WaitqueueOptions) {
  const { sim, port, mutex, queue, spawn } = world(options);
  const steps: string[] = [];
  spawn("t", function* (): Guest {
    const me = port.current();
    const object = (name: string) => new WaitObject(queue, new WaitRecord(sim, me, name));
    const older = object("older");
    const newer1 = object("newer1");
    const newer2 = object("newer2");
    yield* mutex.lock();
    queue.arm(older);
    steps.push(`1 empty=${queue.empty}`);
    queue.arm(newer1);
    steps.push(`2 empty=${queue.empty}`);
    yield* queue.disarm(older);
    steps.push(`3 empty=${queue.empty}`);
    queue.arm(newer2);
    steps.push(`4 empty=${queue.empty}`);
    yield* queue.disarm(newer1);
    steps.push(`5 empty=${queue.empty}`);
    yield* queue.disarm(newer2);
    steps.push(`6 empty=${queue.empty}`);
    yield* mutex.unlock();
  });
  return { result: sim.run(), steps, queue };
}

describe("waitqueue arm/disarm (#1285)", () => {
  it("the fixed disarm keeps the FIFO whole through arm A, arm B, disarm A, arm C, disarm B, disarm C", () => {
    const { result, steps, queue } = sixSteps({});
    expect(result.failure).toBeNull();
    expect(steps).toEqual([
      "1 empty=false",
      "2 empty=false",
      "3 empty=false",
      "4 empty=false",
      "5 empty=false",
      "6 empty=true",
    ]);
    expect(queue.oldest).toBeNull();
    expect(queue.newest).toBeNull();
  });

  it("the pre-9c6a22d4 disarm leaves newest null at step 3: the list check reports it there", () => {
    const { result, steps } = sixSteps({ variant: "waitqueue-stale-tail" });
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("waitqueue-list");
    expect(result.failure?.message).toBe("wq after disarm by t: oldest is t but newest is null");
    expect(steps).toEqual(["1 empty=false", "2 empty=false"]);
  });

  it("without the list check, step 4's arm dereferences the null newest, as OSv's page fault did", () => {
    const { result, steps } = sixSteps({ variant: "waitqueue-stale-tail", checkIntegrity: false });
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("waitqueue-null-deref");
    expect(steps).toEqual(["1 empty=false", "2 empty=false", "3 empty=false"]);
  });

  it("with a record before the removed one, the stale tail drops the last waiter from the FIFO", () => {
    const { sim, port, queue, spawn } = world({ variant: "waitqueue-stale-tail", checkIntegrity: false });
    spawn("t", function* (): Guest {
      const me = port.current();
      const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new WaitObject(queue, new WaitRecord(sim, me, n)));
      queue.arm(a!);
      queue.arm(b!);
      queue.arm(c!);
      yield* queue.disarm(b!); // c is the tail: newest moves back to a
      queue.arm(d!); // a.next = d: c is no longer reachable
      expect(queue.list().map((o) => o.record.thread.name)).toEqual(["a", "d"]);
    });
    expect(sim.run().failure).toBeNull();
  });
});

describe("wait_for on a waitqueue", () => {
  it("wake_one pops the oldest and morphs the wake into the mutex; the other times out", () => {
    const { sim, port, mutex, queue, spawn } = world();
    const log: string[] = [];
    for (const [name, delay] of [
      ["w1", 0],
      ["w2", 10],
    ] as const) {
      spawn(name, function* (): Guest {
        yield sleep(delay);
        yield* mutex.lock();
        const woken = yield* waitFor(sim, port, mutex, queue, 1000);
        // wait_for returns holding the mutex either way.
        expect(mutex.owner.value).toBe(port.current().id);
        log.push(`${name} ${woken ? "woken" : "timed out"} at ${sim.now}`);
        yield* mutex.unlock();
      });
    }
    spawn("waker", function* (): Guest {
      yield sleep(100);
      yield* mutex.lock();
      yield* queue.wakeOne(mutex);
      log.push(`waker unlocks at ${sim.now}`);
      yield* mutex.unlock();
    });
    const result = sim.run();
    expect(result.failure).toBeNull();
    expect(log).toEqual(["waker unlocks at 100", "w1 woken at 100", "w2 timed out at 1000"]);
    // w1 was handed the mutex by the waker's unlock (lock_sent), not woken to lock it itself.
    expect(mutex.stats.directHandoffs).toBeGreaterThanOrEqual(1);
    expect(queue.stats).toMatchObject({ woken: 1, timeouts: 1, wakesDelivered: 1, disarmsUnlinked: 1 });
  });

  it("wake_all wakes every waiter in FIFO order, each returning with the mutex in turn", () => {
    const { sim, port, mutex, queue, spawn } = world();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      spawn(`w${i}`, function* (): Guest {
        yield sleep(i);
        yield* mutex.lock();
        expect(yield* waitFor(sim, port, mutex, queue)).toBe(true);
        order.push(`w${i}`);
        yield* mutex.unlock();
      });
    }
    spawn("waker", function* (): Guest {
      yield sleep(50);
      yield* mutex.lock();
      yield* queue.wakeAll(mutex);
      yield* mutex.unlock();
    });
    expect(sim.run().failure).toBeNull();
    expect(order).toEqual(["w0", "w1", "w2"]);
    expect(queue.empty).toBe(true);
  });
  it("a wake_one that finds the timed-out waiter already queued on the mutex leaves count one too high (as OSv)", () => {
    const { sim, port, mutex, queue, spawn } = world();
    let woken: boolean | null = null;
    spawn("waiter", function* (): Guest {
      yield* mutex.lock();
      woken = yield* waitFor(sim, port, mutex, queue, 100);
      yield* mutex.unlock();
    });
    spawn("waker", function* (): Guest {
      yield sleep(50);
      // Hold the mutex across the waiter's deadline: it times out and queues on the mutex itself.
      yield* mutex.lock();
      yield sleep(100);
      yield* queue.wakeOne(mutex);
      yield* mutex.unlock();
    });
    expect(sim.run().failure).toBeNull();
    // wake_lock found the waiter in mutex.lock(): its record was marked woken, and poll checks the
    // waitqueue before the timer, so wait_for reports a wake.
    expect(woken).toBe(true);
    expect(mutex.stats.alreadyWaiting).toBe(1);
    // Nobody holds or waits, yet count is 1: send_lock_unless_already_waiting kept its increment.
    expect(mutex.owner.value).toBe(0);
    expect(mutex.count.value).toBe(1);
  });
});
