// Goal: the POSIX-style surface answers POSIX's errno values and, on OSv threads on 2 vCPUs, a
// bounded buffer written against it delivers every item once, in order. Method: direct kernel runs.
import { describe, expect, it } from "vitest";
import { buildMachine } from "../../../../src/hw/index.js";
import { EAGAIN, EBUSY, EPERM, ETIMEDOUT, Kernel, Pthread } from "../../../../src/kernel/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";

function boot(cpus: number, seed = 1) {
  const sim = new Simulation({ seed });
  const kernel = new Kernel(sim, buildMachine(sim, { cpus }));
  return { sim, kernel, posix: new Pthread(sim, kernel) };
}

describe("Pthread", () => {
  it("answers EBUSY, EPERM, EAGAIN and ETIMEDOUT where POSIX does", () => {
    const { sim, kernel, posix } = boot(2);
    const mutex = posix.mutexInit("m");
    const cond = posix.condInit("c");
    const sem = posix.semInit("s", 0);
    const answers: Record<string, number> = {};
    kernel.spawn(
      "owner",
      function* (api): Guest<void> {
        answers.lock = yield* posix.mutexLock(mutex);
        yield* api.sleep(2_000_000);
        answers.timedwait = yield* posix.condTimedwait(cond, mutex, (yield* api.now()) + 1_000_000);
        answers.unlock = yield* posix.mutexUnlock(mutex);
        answers.semTimedwait = yield* posix.semTimedwait(sem, (yield* api.now()) + 500_000);
      },
      { cpu: 0, pinned: true },
    );
    kernel.spawn(
      "other",
      function* (api): Guest<void> {
        yield* api.sleep(1_000_000);
        answers.trylock = yield* posix.mutexTrylock(mutex);
        answers.foreignUnlock = yield* posix.mutexUnlock(mutex);
        answers.semTrywait = yield* posix.semTrywait(sem);
      },
      { cpu: 1, pinned: true },
    );
    kernel.start();
    const result = sim.run({ untilNs: 100_000_000 });
    expect(result.outcome).toBe("ok");
    expect(answers).toEqual({
      lock: 0,
      trylock: EBUSY,
      foreignUnlock: EPERM,
      semTrywait: EAGAIN,
      timedwait: ETIMEDOUT,
      unlock: 0,
      semTimedwait: ETIMEDOUT,
    });
  });

  it("rwlock: readers share, a writer excludes them, try-locks answer EBUSY while it holds", () => {
    const { sim, kernel, posix } = boot(2);
    const rwlock = posix.rwlockInit("rw");
    const log: string[] = [];
    kernel.spawn(
      "writer",
      function* (api): Guest<void> {
        yield* api.sleep(1_000_000);
        expect(yield* posix.rwlockWrlock(rwlock)).toBe(0);
        log.push("w+");
        yield* api.sleep(2_000_000);
        log.push("w-");
        expect(yield* posix.rwlockUnlock(rwlock)).toBe(0);
      },
      { cpu: 0, pinned: true },
    );
    kernel.spawn(
      "reader",
      function* (api): Guest<void> {
        expect(yield* posix.rwlockRdlock(rwlock)).toBe(0);
        expect(yield* posix.rwlockTryrdlock(rwlock)).toBe(0);
        log.push("r+r+");
        yield* api.sleep(500_000);
        expect(yield* posix.rwlockUnlock(rwlock)).toBe(0);
        expect(yield* posix.rwlockUnlock(rwlock)).toBe(0);
        log.push("r-r-");
        yield* api.sleep(1_500_000);
        log.push(`try:${yield* posix.rwlockTryrdlock(rwlock)},${yield* posix.rwlockTrywrlock(rwlock)}`);
        expect(yield* posix.rwlockRdlock(rwlock)).toBe(0);
        log.push("r+");
        expect(yield* posix.rwlockUnlock(rwlock)).toBe(0);
      },
      { cpu: 1, pinned: true },
    );
    kernel.start();
    expect(sim.run({ untilNs: 100_000_000 }).outcome).toBe("ok");
    expect(log).toEqual(["r+r+", "r-r-", "w+", `try:${EBUSY},${EBUSY}`, "w-", "r+"]);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`a bounded buffer on mutex + two condvars + a semaphore delivers every item in order (seed ${seed})`, () => {
      const { sim, kernel, posix } = boot(2, seed);
      const mutex = posix.mutexInit("buf.m");
      const notFull = posix.condInit("buf.not_full");
      const notEmpty = posix.condInit("buf.not_empty");
      const done = posix.semInit("buf.done", 0);
      const buffer: number[] = [];
      const received: number[] = [];
      const ITEMS = 40;
      kernel.spawn(
        "producer",
        function* (api): Guest<void> {
          for (let i = 0; i < ITEMS; i++) {
            yield* api.compute(300);
            yield* posix.mutexLock(mutex);
            while (buffer.length >= 2) yield* posix.condWait(notFull, mutex);
            buffer.push(i);
            yield* posix.condSignal(notEmpty);
            yield* posix.mutexUnlock(mutex);
          }
        },
        { cpu: 0, pinned: true },
      );
      kernel.spawn(
        "consumer",
        function* (api): Guest<void> {
          for (let i = 0; i < ITEMS; i++) {
            yield* posix.mutexLock(mutex);
            while (buffer.length === 0) yield* posix.condWait(notEmpty, mutex);
            received.push(buffer.shift()!);
            yield* posix.condBroadcast(notFull);
            yield* posix.mutexUnlock(mutex);
            yield* api.compute(500);
          }
          yield* posix.semPost(done);
        },
        { cpu: 1, pinned: true },
      );
      kernel.spawn("waiter", function* (): Guest<void> {
        expect(yield* posix.semWait(done)).toBe(0);
      });
      kernel.start();
      const result = sim.run({ untilNs: 1_000_000_000 });
      expect(result.outcome).toBe("ok");
      expect(received).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
      expect(done.value).toBe(0);
    });
  }
});
