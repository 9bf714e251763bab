// Goal: the rwlock's 32-bit word arithmetic is exact, its paths (fast read, queued read, writer
// waiting for readers, recursion, downgrade, try_*) leave `_readers` as §3.7 says, misuse is a
// violation, and the fairness claim of §3.7 holds. Method: pure checks of the bit helpers, then
// scripted threads on engine processes (ProcessWaitPort) ordered by sleeps, each run under several
// seeds so that no ordering is left to the seed.
import { describe, expect, it } from "vitest";
import {
  describeRwlockWord,
  downgradedWord,
  MAX_OWNING_READERS,
  MAX_PENDING_READERS,
  owningReaders,
  PENDING_WRITER,
  ProcessWaitPort,
  pendingReaders,
  READER_LOCK_INC,
  READERS_MASK,
  Rwlock,
  type RwlockOptions,
  rwlockWord,
  WRITER_LOCK,
  writerLocked,
  writerLockedWord,
  writerPending,
} from "../../../../src/kernel/index.js";
import { type Guest, type Process, type RunResult, Simulation, sleep } from "../../../../src/sim/index.js";

describe("rwlock word arithmetic", () => {
  it("fields are where §3.7 puts them", () => {
    expect([WRITER_LOCK, PENDING_WRITER, READERS_MASK, READER_LOCK_INC]).toEqual([
      0x8000_0000, 0x4000_0000, 0x3fff_0000, 0x1_0000,
    ]);
    expect([MAX_OWNING_READERS, MAX_PENDING_READERS]).toEqual([16383, 65535]);
    const word = rwlockWord({ writerLock: true, owning: 0, pending: 7 });
    expect(word).toBe(0x8000_0007);
    expect(word).toBeGreaterThan(0); // unsigned, never a negative int32
    expect([writerLocked(word), writerPending(word), owningReaders(word), pendingReaders(word)]).toEqual([
      true,
      false,
      0,
      7,
    ]);
  });

  it("extreme fields decode without bleeding into each other", () => {
    const full = rwlockWord({
      pendingWriter: true,
      owning: MAX_OWNING_READERS,
      pending: MAX_PENDING_READERS,
    });
    expect(full).toBe(0x7fff_ffff);
    expect([writerLocked(full), writerPending(full)]).toEqual([false, true]);
    expect([owningReaders(full), pendingReaders(full)]).toEqual([MAX_OWNING_READERS, MAX_PENDING_READERS]);
    const all = rwlockWord({ writerLock: true, pendingWriter: true, owning: 16383, pending: 65535 });
    expect(all).toBe(2 ** 32 - 1);
    expect(describeRwlockWord(all)).toBe(
      "0xffffffff (WRITER_LOCK|PENDING_WRITER, owning 16383, pending 65535)",
    );
    expect(() => rwlockWord({ owning: MAX_OWNING_READERS + 1 })).toThrow(RangeError);
    expect(() => rwlockWord({ pending: MAX_PENDING_READERS + 1 })).toThrow(RangeError);
  });

  it("PENDING_WRITER added to itself carries into WRITER_LOCK (wlock's last step)", () => {
    const pending = rwlockWord({ pendingWriter: true, pending: 3 });
    const locked = pending + PENDING_WRITER;
    expect(locked).toBe(rwlockWord({ writerLock: true, pending: 3 }));
    expect([writerLocked(locked), writerPending(locked)]).toEqual([true, false]);
  });

  it("an admission (+READER_LOCK_INC - 1) moves one reader from pending to owning", () => {
    const before = rwlockWord({ owning: 2, pending: 5 });
    expect(before + READER_LOCK_INC - 1).toBe(rwlockWord({ owning: 3, pending: 4 }));
  });

  it("CAS targets: the writer keeps the pending readers; downgrade drops WRITER_LOCK and adds a reader", () => {
    expect(writerLockedWord(rwlockWord({ pendingWriter: true, pending: 9 }))).toBe(
      rwlockWord({ writerLock: true, pending: 9 }),
    );
    const held = rwlockWord({ writerLock: true, pending: 0xffff });
    expect(downgradedWord(held)).toBe(rwlockWord({ owning: 1, pending: 0xffff }));
    expect(downgradedWord(held)).toBeLessThan(2 ** 32);
  });
});

interface World {
  sim: Simulation;
  rw: Rwlock;
  log: string[];
  spawn(name: string, body: () => Guest<unknown>): Process;
}

function world(seed: number, options: RwlockOptions = {}): World {
  const sim = new Simulation({ seed });
  const port = new ProcessWaitPort(sim);
  const rw = new Rwlock(sim, port, "rw", options);
  const spawn = (name: string, body: () => Guest<unknown>) => {
    const process = sim.spawn(name, body);
    port.adopt(process);
    return process;
  };
  return { sim, rw, log: [], spawn };
}

/** Runs `script` under several seeds; the log and the outcome must not depend on the seed. */
function underSeeds(script: (w: World) => void, options: RwlockOptions = {}) {
  const runs: { log: string[]; result: RunResult; rw: Rwlock }[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    const w = world(seed, options);
    script(w);
    runs.push({ log: w.log, result: w.sim.run(), rw: w.rw });
  }
  for (const run of runs) expect(run.log).toEqual(runs[0]!.log);
  return runs[0]!;
}

const word = (rw: Rwlock) => describeRwlockWord(rw.readers.value);

describe("rwlock paths", () => {
  it("readers share; a writer takes it only when they are gone, and everything ends at rest", () => {
    const { result, log, rw } = underSeeds(({ rw, log, spawn }) => {
      for (const [name, at] of [
        ["r1", 0],
        ["r2", 10],
      ] as const) {
        spawn(name, function* () {
          yield sleep(at);
          yield* rw.rlock();
          log.push(`${name} in: ${word(rw)}`);
          yield sleep(100);
          yield* rw.runlock();
        });
      }
      spawn("w", function* () {
        yield sleep(50);
        yield* rw.wlock();
        log.push(`w in: ${word(rw)}`);
        yield* rw.wunlock();
        log.push(`w out: ${word(rw)}`);
      });
    });
    expect(result.outcome).toBe("ok");
    expect(log).toEqual([
      "r1 in: 0x00010000 (-, owning 1, pending 0)",
      "r2 in: 0x00020000 (-, owning 2, pending 0)",
      "w in: 0x80000000 (WRITER_LOCK, owning 0, pending 0)",
      "w out: 0x00000000 (-, owning 0, pending 0)",
    ]);
    expect(rw.stats).toMatchObject({ fastReads: 2, waitedWrites: 1, writerWakes: 1 });
    expect([rw.readers.value, rw.writerWait.value, rw.wmtx.count.value, rw.readWaiters.size]).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it("recursive wlock: the inner wunlock keeps the lock; try_rlock fails until the outer one", () => {
    const { result, log, rw } = underSeeds(({ rw, log, spawn }) => {
      spawn("w", function* () {
        yield* rw.wlock();
        yield* rw.wlock();
        log.push(`depth ${rw.wmtx.recursionDepth}: ${word(rw)}`);
        yield* rw.wunlock();
        log.push(`depth ${rw.wmtx.recursionDepth}: ${word(rw)}`);
        log.push(`try_wlock again: ${yield* rw.tryWlock()}`);
        yield sleep(100);
        yield* rw.wunlock();
        yield* rw.wunlock();
        log.push(`released: ${word(rw)}`);
      });
      spawn("r", function* () {
        yield sleep(50);
        log.push(`r try_rlock: ${yield* rw.tryRlock()}`);
        yield sleep(100);
        log.push(`r try_rlock: ${yield* rw.tryRlock()}`);
        yield* rw.runlock();
      });
    });
    expect(result.outcome).toBe("ok");
    expect(log).toEqual([
      "depth 2: 0x80000000 (WRITER_LOCK, owning 0, pending 0)",
      "depth 1: 0x80000000 (WRITER_LOCK, owning 0, pending 0)",
      "try_wlock again: true",
      "r try_rlock: false",
      "released: 0x00000000 (-, owning 0, pending 0)",
      "r try_rlock: true",
    ]);
    expect(rw.stats.recursiveWrites).toBe(2);
  });

  it("downgrade of a recursive wlock: the writer and the queued readers own it, _wmtx is free", () => {
    const { result, log, rw } = underSeeds(({ rw, log, spawn }) => {
      spawn("w", function* () {
        yield* rw.wlock();
        yield* rw.wlock();
        yield sleep(100);
        log.push(`before: ${word(rw)}`);
        yield* rw.downgrade();
        log.push(`after: ${word(rw)}, _wmtx count ${rw.wmtx.count.value}, writer ${rw.writer}`);
        yield sleep(50);
        yield* rw.runlock();
      });
      for (const [name, at] of [
        ["r1", 10],
        ["r2", 20],
      ] as const) {
        spawn(name, function* () {
          yield sleep(at);
          yield* rw.rlock();
          log.push(`${name} in`);
          yield sleep(100);
          yield* rw.runlock();
        });
      }
    });
    expect(result.outcome).toBe("ok");
    expect(log).toEqual([
      "before: 0x80000002 (WRITER_LOCK, owning 0, pending 2)",
      // The admitted readers run as soon as they are woken, before the downgrader's _wmtx unlocks.
      "r1 in",
      "r2 in",
      "after: 0x00030000 (-, owning 3, pending 0), _wmtx count 0, writer 0",
    ]);
    expect(rw.stats).toMatchObject({ downgrades: 1, queuedReads: 2, admittedReaders: 2 });
    expect(rw.readers.value).toBe(0);
  });

  it("try_wlock fails with a reader inside; try_upgrade succeeds only for a sole reader", () => {
    const { result, log, rw } = underSeeds(({ rw, log, spawn }) => {
      spawn("a", function* () {
        yield* rw.rlock();
        yield sleep(100);
        log.push(`a upgrade with b inside: ${yield* rw.tryUpgrade()}`);
        yield sleep(100);
        log.push(`a upgrade alone: ${yield* rw.tryUpgrade()}: ${word(rw)}`);
        yield* rw.wunlock();
      });
      spawn("b", function* () {
        yield sleep(10);
        yield* rw.rlock();
        yield sleep(50);
        log.push(`b try_wlock: ${yield* rw.tryWlock()}`);
        yield sleep(100);
        yield* rw.runlock();
      });
    });
    expect(result.outcome).toBe("ok");
    expect(log).toEqual([
      "b try_wlock: false",
      "a upgrade with b inside: false",
      "a upgrade alone: true: 0x80000000 (WRITER_LOCK, owning 0, pending 0)",
    ]);
    expect([rw.readers.value, rw.wmtx.count.value]).toEqual([0, 0]);
  });

  it("wunlock by a thread that does not hold it, and a runlock without rlock, are violations", () => {
    const w1 = world(1);
    w1.spawn("w", function* () {
      yield* w1.rw.wlock();
      yield sleep(100);
    });
    w1.spawn("x", function* () {
      yield sleep(10);
      yield* w1.rw.wunlock();
    });
    expect(w1.sim.run().failure?.check).toBe("rwlock-owner");
    const w2 = world(1);
    w2.spawn("r", function* () {
      yield* w2.rw.runlock();
    });
    expect(w2.sim.run().failure?.check).toBe("rwlock-readers-underflow");
  });

  it("the runlock-skips-writer-wake mutant leaves the writer asleep: a deadlock", () => {
    const w = world(1, { variant: "runlock-skips-writer-wake" });
    w.spawn("r", function* () {
      yield* w.rw.rlock();
      yield sleep(100);
      yield* w.rw.runlock();
    });
    w.spawn("w", function* () {
      yield sleep(10);
      yield* w.rw.wlock();
      yield* w.rw.wunlock();
    });
    const result = w.sim.run();
    expect(result.outcome).toBe("deadlock");
    expect(result.reason).toMatch(/blocked: .*w/);
  });
});

describe("fairness (§3.7)", () => {
  it("a pending writer blocks new readers: a reader arriving after it enters only after the writer", () => {
    const { result, log } = underSeeds(({ rw, log, spawn }) => {
      spawn("r1", function* () {
        yield* rw.rlock();
        log.push("r1 in");
        yield sleep(100);
        log.push(`r1 out: ${word(rw)}`);
        yield* rw.runlock();
      });
      spawn("w", function* () {
        yield sleep(10);
        yield* rw.wlock();
        log.push("w in");
        yield sleep(100);
        log.push("w out");
        yield* rw.wunlock();
      });
      spawn("r2", function* () {
        yield sleep(20);
        log.push(`r2 try_rlock: ${yield* rw.tryRlock()}`);
        yield* rw.rlock();
        log.push("r2 in");
        yield* rw.runlock();
      });
    });
    expect(result.outcome).toBe("ok");
    // r2 arrives while r1 still reads: the lock is read-held, yet r2 must wait for the writer.
    expect(log).toEqual([
      "r1 in",
      "r2 try_rlock: false",
      "r1 out: 0x40010001 (PENDING_WRITER, owning 1, pending 1)",
      "w in",
      "w out",
      "r2 in",
    ]);
  });

  it("a releasing writer admits every pending reader before the next writer, even one already waiting", () => {
    const { result, log, rw } = underSeeds(({ rw, log, spawn }) => {
      spawn("w1", function* () {
        yield* rw.wlock();
        log.push("w1 in");
        yield sleep(100);
        log.push(`w1 out: ${word(rw)}, _wmtx count ${rw.wmtx.count.value}`);
        yield* rw.wunlock();
      });
      for (const [name, at] of [
        ["r1", 10],
        ["r2", 20],
        ["r3", 30],
      ] as const) {
        spawn(name, function* () {
          yield sleep(at);
          yield* rw.rlock();
          log.push(`${name} in`);
          yield sleep(100);
          yield* rw.runlock();
        });
      }
      spawn("w2", function* () {
        yield sleep(40); // queued on _wmtx behind w1, before w1 releases
        yield* rw.wlock();
        log.push(`w2 in: ${word(rw)}`);
        yield* rw.wunlock();
      });
      spawn("r4", function* () {
        yield sleep(150); // after w2 published PENDING_WRITER: must wait for w2
        yield* rw.rlock();
        log.push("r4 in");
        yield* rw.runlock();
      });
    });
    expect(result.outcome).toBe("ok");
    expect(log).toEqual([
      "w1 in",
      "w1 out: 0x80000003 (WRITER_LOCK, owning 0, pending 3), _wmtx count 2",
      "r1 in",
      "r2 in",
      "r3 in",
      "w2 in: 0x80000001 (WRITER_LOCK, owning 0, pending 1)",
      "r4 in",
    ]);
    expect(rw.stats).toMatchObject({ queuedReads: 4, admittedReaders: 4, waitedWrites: 1 });
  });
});
