// Goal: the mutex's paths (uncontended, recursive, try_lock, hand-over, send_lock, receive_lock)
// leave count/owner/handoff as §3.1 says, and send_lock_unless_already_waiting's count increment is
// shown to outlive the contention. Method: scripted threads on the engine, timed with sleeps.
import { describe, expect, it } from "vitest";
import {
  LockfreeMutex,
  type MutexOptions,
  ProcessWaitPort,
  WaitRecord,
} from "../../../../src/kernel/index.js";
import {
  type Guest,
  type Process,
  Simulation as Sim,
  type Simulation,
  sleep,
} from "../../../../src/sim/index.js";

interface World {
  sim: Simulation;
  port: ProcessWaitPort;
  mutex: LockfreeMutex;
  spawn(name: string, body: () => Guest<unknown>): Process;
}

function world(options: MutexOptions = {}): World {
  const sim = new Sim({ seed: 1 });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "m", options);
  const spawn = (name: string, body: () => Guest<unknown>) => {
    const process = sim.spawn(name, body);
    port.adopt(process);
    return process;
  };
  return { sim, port, mutex, spawn };
}

describe("lockfree::mutex", () => {
  it("uncontended lock and unlock take the fast path and leave the mutex at rest", () => {
    const { sim, mutex, spawn } = world();
    const seen: number[] = [];
    spawn("a", function* () {
      yield* mutex.lock();
      seen.push(mutex.count.value, mutex.owner.value);
      yield* mutex.unlock();
    });
    expect(sim.run().outcome).toBe("ok");
    expect(seen).toEqual([1, 1]); // count 1, owner = thread id 1 (runner 0)
    expect([mutex.count.value, mutex.owner.value, mutex.handoff.value]).toEqual([0, 0, 0]);
    expect(mutex.stats.fastAcquires).toBe(1);
  });

  it("recursive locking counts depth, not count; try_lock fails for others while held", () => {
    const { sim, mutex, spawn } = world();
    const log: string[] = [];
    spawn("a", function* () {
      yield* mutex.lock();
      yield* mutex.lock();
      log.push(`a depth ${mutex.recursionDepth} count ${mutex.count.value}`);
      yield sleep(100);
      yield* mutex.unlock();
      log.push(`a still owns: ${mutex.owner.value === 1}`);
      yield* mutex.unlock();
    });
    spawn("b", function* () {
      yield sleep(50);
      log.push(`b try ${yield* mutex.tryLock()}`);
      yield sleep(100);
      log.push(`b try ${yield* mutex.tryLock()}`);
      yield* mutex.unlock();
    });
    expect(sim.run().outcome).toBe("ok");
    expect(log).toEqual(["a depth 2 count 1", "b try false", "a still owns: true", "b try true"]);
    expect(mutex.count.value).toBe(0);
  });

  it("unlock hands the lock straight to the oldest queued waiter", () => {
    const { sim, mutex, spawn } = world();
    const order: string[] = [];
    for (const [name, startNs] of [
      ["a", 0],
      ["b", 10],
      ["c", 20],
    ] as const) {
      spawn(name, function* () {
        yield sleep(startNs);
        yield* mutex.lock();
        order.push(name);
        yield sleep(100);
        yield* mutex.unlock();
      });
    }
    expect(sim.run().outcome).toBe("ok");
    expect(order).toEqual(["a", "b", "c"]);
    expect(mutex.stats.directHandoffs).toBe(2);
    expect(mutex.stats.queuedAcquires).toBe(2);
    expect(mutex.count.value).toBe(0);
  });

  it("unlock by a thread that does not own the mutex is a violation", () => {
    const { sim, mutex, spawn } = world();
    spawn("a", function* () {
      yield* mutex.unlock();
    });
    const result = sim.run();
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("mutex-owner");
  });

  it("send_lock on a free mutex wakes the record's thread, which then owns it via receive_lock", () => {
    const { sim, mutex, port, spawn } = world();
    let record: WaitRecord | undefined;
    let ownerSeen = -1;
    const waiter = spawn("w", function* () {
      yield* record!.wait(port);
      yield* mutex.receiveLock();
      ownerSeen = mutex.owner.value;
      yield* mutex.unlock();
    });
    record = new WaitRecord(sim, { id: waiter.id + 1, name: "w" });
    spawn("s", function* () {
      yield sleep(10);
      yield* mutex.sendLock(record!);
    });
    expect(sim.run().outcome).toBe("ok");
    expect(ownerSeen).toBe(waiter.id + 1);
    expect(mutex.count.value).toBe(0);
  });
});

/** A holds the mutex; B queues in lock(); A sends the lock to B's (other) record; then C locks late. */
function alreadyWaiting(options: MutexOptions) {
  const { sim, mutex, spawn } = world(options);
  let answer: boolean | undefined;
  let countAfter = -1;
  let record: WaitRecord | undefined;
  spawn("a", function* () {
    yield* mutex.lock();
    yield sleep(100);
    answer = yield* mutex.sendLockUnlessAlreadyWaiting(record!);
    countAfter = mutex.count.value;
    yield* mutex.unlock();
  });
  const b = spawn("b", function* () {
    yield sleep(10);
    yield* mutex.lock();
    yield* mutex.unlock();
  });
  record = new WaitRecord(sim, { id: b.id + 1, name: "b" }, "b.waitqueue-record");
  const rest: number[] = [];
  spawn("c", function* () {
    yield sleep(1000);
    rest.push(mutex.count.value, mutex.owner.value, mutex.handoff.value === 0 ? 0 : 1);
    const fast = mutex.stats.fastAcquires;
    yield* mutex.lock();
    rest.push(mutex.stats.fastAcquires - fast);
    yield* mutex.unlock();
  });
  const result = sim.run();
  return { result, answer, countAfter, rest, mutex };
}

describe("send_lock_unless_already_waiting", () => {
  it("as in OSv: answers false and keeps its count increment, which nobody ever gives back", () => {
    const { result, answer, countAfter, rest, mutex } = alreadyWaiting({ alreadyWaitingCount: "keep" });
    expect(result.outcome).toBe("ok");
    expect(answer).toBe(false);
    // holder A + queued B + the kept increment
    expect(countAfter).toBe(3);
    // At rest: count 1, no owner, a handoff token published; C's lock then takes the slow path.
    expect(rest).toEqual([1, 0, 1, 0]);
    expect(mutex.count.value).toBe(1);
    expect(mutex.stats.alreadyWaiting).toBe(1);
  });

  it("undoing the increment leaves the mutex at rest with count 0 and C on the fast path", () => {
    const { result, answer, countAfter, rest, mutex } = alreadyWaiting({ alreadyWaitingCount: "undo" });
    expect(result.outcome).toBe("ok");
    expect(answer).toBe(false);
    expect(countAfter).toBe(2);
    expect(rest).toEqual([0, 0, 0, 1]);
    expect(mutex.count.value).toBe(0);
  });
});

describe("wait_record", () => {
  it("a wake that comes before the wait is not lost; a second wake is a violation", () => {
    const sim = new Sim({ seed: 1 });
    const port = new ProcessWaitPort(sim);
    let record: WaitRecord | undefined;
    let returned = false;
    const waiter = sim.spawn("w", function* () {
      yield sleep(50);
      yield* record!.wait(port);
      returned = true;
    });
    const thread = port.adopt(waiter);
    record = new WaitRecord(sim, thread);
    sim.spawn("k", function* () {
      yield* record!.wake(port);
      yield sleep(100);
      yield* record!.wake(port);
    });
    const result = sim.run();
    expect(returned).toBe(true);
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("wait-record-single-wake");
  });
});
