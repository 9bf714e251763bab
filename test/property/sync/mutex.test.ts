// Goal: lockfree::mutex keeps mutual exclusion and never hangs under any schedule the search
// tries, reaching its hand-off paths, while each mutant is caught. Method: fast-check generates
// choice sequences (the sequence strategy) for the mutex-counter and a wait-morphing program.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LockfreeMutex,
  type MutexStats,
  type MutexVariant,
  ProcessWaitPort,
  WaitRecord,
} from "../../../src/kernel/index.js";
import {
  counterTotalCheck,
  DEFAULT_MUTEX_COUNTER,
  spawnMutexCounter,
} from "../../../src/scenario/programs/sync.js";
import { compute, type Guest, load, SequenceStrategy, Simulation, store } from "../../../src/sim/index.js";

// size "max": fast-check would otherwise keep arrays short, leaving most choices at the default 0.
const schedules = fc.array(fc.nat({ max: 7 }), { maxLength: 300, size: "max" });
/** Computes stretched by chosen amounts, so threads drift against each other. */
const JITTER = { probability: 0.5, maxNs: 20 };
const shapes = fc.record({
  recursive: fc.boolean(),
  tryFirst: fc.boolean(),
  thinkNs: fc.constantFrom(0, 0, 3, 10),
  threads: fc.constantFrom(2, 3),
});

function counterRun(
  values: readonly number[],
  options: {
    variant?: MutexVariant;
    recursive?: boolean;
    tryFirst?: boolean;
    thinkNs?: number;
    threads?: number;
  } = {},
) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values), computeJitter: JITTER });
  const { mutex, counter, expected } = spawnMutexCounter(sim, {
    ...DEFAULT_MUTEX_COUNTER,
    threads: options.threads ?? 3,
    increments: 2,
    // No think time keeps the threads at one instant, so every step is a scheduling choice.
    thinkNs: options.thinkNs ?? 0,
    workNs: 0,
    variant: options.variant ?? "correct",
    recursive: options.recursive ?? false,
    tryFirst: options.tryFirst ?? false,
  });
  sim.addCheck("mutex-counter-total", counterTotalCheck(counter, expected));
  return { result: sim.run(), mutex };
}

describe("lockfree::mutex under chosen schedules", () => {
  it("keeps exclusion and the count, and never hangs, over 1500 schedules; reaches every path", () => {
    const total: MutexStats = {
      fastAcquires: 0,
      recursiveAcquires: 0,
      queuedAcquires: 0,
      handoffTakes: 0,
      directHandoffs: 0,
      tokensPublished: 0,
      tokensReclaimed: 0,
      alreadyWaiting: 0,
    };
    fc.assert(
      fc.property(schedules, shapes, (values, shape) => {
        const { result, mutex } = counterRun(values, shape);
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
        expect([mutex.count.value, mutex.owner.value]).toEqual([0, 0]);
        for (const key of Object.keys(total) as (keyof MutexStats)[]) total[key] += mutex.stats[key];
      }),
      { numRuns: 1500 },
    );
    console.log(`mutex paths over 1500 schedules: ${JSON.stringify(total)}`);
    // The schedules must have exercised the responsibility hand-off, not only the fast path.
    expect(total.directHandoffs).toBeGreaterThan(0);
    expect(total.tokensPublished).toBeGreaterThan(0);
    expect(total.handoffTakes).toBeGreaterThan(0);
    expect(total.tokensReclaimed).toBeGreaterThan(0);
    expect(total.recursiveAcquires).toBeGreaterThan(0);
  });

  for (const variant of ["unlock-forgets-handoff-publish", "lock-skips-handoff-check"] as const) {
    it(`mutant ${variant} is found as a hang (every thread blocked)`, () => {
      const details = fc.check(
        fc.property(schedules, (values) => counterRun(values, { variant }).result.outcome === "ok"),
        { numRuns: 2000 },
      );
      expect(details.failed).toBe(true);
      const shrunk = details.counterexample![0];
      const rerun = counterRun(shrunk, { variant }).result;
      expect(rerun.outcome).toBe("deadlock");
      expect(rerun.reason).toMatch(/blocked: mutex\.t/);
      console.log(
        `${variant}: found after ${details.numRuns} run(s); shrunk to ${rerun.choices} choices, ${rerun.nonZeroChoices} non-zero`,
      );
    });
  }
});

/**
 * Condition-variable-style wait morphing: each waiter registers a wait_record under the mutex,
 * unlocks, waits, and is sent the lock by a waker (send_lock or send_lock_unless_already_waiting).
 */
function morphRun(values: readonly number[], waiters: number, unlessAlreadyWaiting: boolean) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values), computeJitter: JITTER });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "m");
  const counter = sim.memory.cell("counter");
  const registered: WaitRecord[] = [];
  let inside = 0;
  let increments = 0;
  const critical = function* (): Guest {
    sim.assert(inside === 0, "mutual-exclusion", "two holders");
    inside++;
    const v = yield load(counter);
    yield store(counter, v + 1);
    increments++;
    inside--;
  };
  for (let w = 0; w < waiters; w++) {
    const process = sim.spawn(`w${w}`, function* (): Guest {
      const record = new WaitRecord(sim, port.current(), `w${w}.record`);
      yield* mutex.lock();
      registered.push(record); // protected by the mutex
      yield* mutex.unlock();
      yield* record.wait(port);
      yield* mutex.receiveLock();
      yield* critical();
      yield* mutex.unlock();
    });
    port.adopt(process);
  }
  port.adopt(
    sim.spawn("waker", function* (): Guest {
      let sent = 0;
      for (let round = 0; sent < waiters; round++) {
        sim.assert(round < 1000, "waker-bound", "waiters never registered");
        yield* mutex.lock();
        yield* critical();
        for (const record of registered.splice(0)) {
          if (unlessAlreadyWaiting) {
            const queued = yield* mutex.sendLockUnlessAlreadyWaiting(record);
            sim.assert(queued, "morph-queued", "a registered waiter cannot be queued on the mutex");
          } else {
            yield* mutex.sendLock(record);
          }
          sent++;
        }
        yield* mutex.unlock();
        if (sent < waiters) yield compute(10);
      }
    }),
  );
  sim.addCheck("total", () =>
    counter.value === increments ? null : `counter ${counter.value}, ${increments} increments`,
  );
  return { result: sim.run(), mutex };
}

describe("determinism", () => {
  it("the same seed gives the same digest and outcome; another seed a different digest", () => {
    const digest = (seed: number) => {
      const sim = new Simulation({ seed, computeJitter: JITTER });
      spawnMutexCounter(sim, { ...DEFAULT_MUTEX_COUNTER, threads: 3, thinkNs: 3 });
      const result = sim.run();
      return `${result.outcome} ${result.digest} ${result.events}`;
    };
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), (seed) => {
        expect(digest(seed)).toBe(digest(seed));
      }),
      { numRuns: 200 },
    );
    expect(digest(1)).not.toBe(digest(2));
  });
});

describe("wait morphing (send_lock, receive_lock)", () => {
  it("hands the lock to morphed waiters without breaking exclusion or hanging, over 1000 schedules", () => {
    fc.assert(
      fc.property(schedules, fc.boolean(), (values, unless) => {
        const { result, mutex } = morphRun(values, 2, unless);
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
        expect(mutex.count.value).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
});

/**
 * send_lock_unless_already_waiting with its thread already queued: OSv keeps the count increment.
 * Afterwards threads contend under chosen schedules; answers the run and the mutex.
 */
function phantomRun(values: readonly number[], keep: boolean) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values), computeJitter: JITTER });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "m", { alreadyWaitingCount: keep ? "keep" : "undo" });
  const counter = sim.memory.cell("counter");
  let inside = 0;
  const increment = function* (): Guest {
    yield* mutex.lock();
    sim.assert(inside === 0, "mutual-exclusion", "two holders");
    inside++;
    const v = yield load(counter);
    yield store(counter, v + 1);
    inside--;
    yield* mutex.unlock();
  };
  let queuedRecord: WaitRecord | undefined;
  port.adopt(
    sim.spawn("a", function* (): Guest {
      yield* mutex.lock();
      yield compute(1000); // long enough for b to queue on the mutex
      const queued = yield* mutex.sendLockUnlessAlreadyWaiting(queuedRecord!);
      sim.assert(!queued, "already-waiting", "b should have been found in the waitqueue");
      yield* mutex.unlock();
    }),
  );
  const b = port.adopt(
    sim.spawn("b", function* (): Guest {
      yield compute(10);
      yield* increment();
    }),
  );
  queuedRecord = new WaitRecord(sim, b, "b.other-record");
  for (let t = 0; t < 3; t++) {
    port.adopt(
      sim.spawn(`c${t}`, function* (): Guest {
        yield compute(2000);
        for (let i = 0; i < 2; i++) yield* increment();
      }),
    );
  }
  sim.addCheck("total", () => (counter.value === 7 ? null : `counter ${counter.value}`));
  return { result: sim.run(), mutex };
}

describe("send_lock_unless_already_waiting's kept count increment", () => {
  it("never gets given back (count rests at 1), yet the mutex keeps working, over 1000 schedules", () => {
    let fastAfter = 0;
    fc.assert(
      fc.property(schedules, (values) => {
        const { result, mutex } = phantomRun(values, true);
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
        expect([mutex.count.value, mutex.owner.value]).toEqual([1, 0]);
        expect(mutex.handoff.value).not.toBe(0);
        // Only a's first lock took the fast path: the phantom keeps count above 0 for good.
        fastAfter += mutex.stats.fastAcquires - 1;
      }),
      { numRuns: 1000 },
    );
    expect(fastAfter).toBe(0);
  });

  it("undoing it brings count back to 0 at rest", () => {
    fc.assert(
      fc.property(schedules, (values) => {
        const { result, mutex } = phantomRun(values, false);
        expect(result.outcome).toBe("ok");
        expect(mutex.count.value).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
