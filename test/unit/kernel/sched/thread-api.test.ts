// Goal: the thread API beyond create/join behaves as osv-internals.md §2.10, §2.11 and §2.13 say —
// pin() and pin(t, cpu) move threads with their timers, migrate_disable holds off the balancer and
// pin(t, cpu), real-time threads run FIFO ahead of normal ones, detached threads are freed by the
// reaper. Method: small kernels on simulated vCPUs, reading thread state and timestamps the guest
// code records.
import { describe, expect, it } from "vitest";
import { buildMachine } from "../../../../src/hw/index.js";
import { Kernel, type KThread, type ThreadApi } from "../../../../src/kernel/index.js";
import { buildScenario, parseScenario } from "../../../../src/scenario/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";

function boot(cpus: number, options: ConstructorParameters<typeof Kernel>[2] = {}) {
  const sim = new Simulation({ seed: 1 });
  const kernel = new Kernel(sim, buildMachine(sim, { cpus }), options);
  return { sim, kernel };
}

function* hog(api: ThreadApi): Guest<void> {
  for (;;) yield* api.compute(1_000_000);
}

describe("pin()", () => {
  it("moves the calling thread, which returns running on the target with its armed timer", () => {
    const { sim, kernel } = boot(2);
    const seen: Record<string, unknown> = {};
    const thread = kernel.spawn(
      "mover",
      function* (api, self): Guest<void> {
        const alarm = kernel.newTimer(self, "mover.alarm");
        const deadline = (yield* api.now()) + 50_000;
        yield* kernel.setTimer(alarm, deadline);
        yield* api.pin(1);
        seen.cpu = kernel.cpuOf().index;
        seen.alarmOnTarget = alarm.list !== null && kernel.cpus[1]!.timers.size > 0;
        seen.alarmOffSource = kernel.cpus[0]!.timers.size;
        yield* api.waitUntil(function* () {
          return alarm.expired;
        });
        seen.late = (yield* api.now()) - deadline;
        seen.wokeOn = kernel.cpuOf().index;
      },
      { cpu: 0 },
    );
    kernel.start();
    const result = sim.run();
    expect(result.failure).toBeNull();
    expect(seen.cpu).toBe(1);
    expect(seen.alarmOnTarget).toBe(true);
    expect(seen.wokeOn).toBe(1);
    expect(seen.late as number).toBeGreaterThanOrEqual(0);
    expect(thread.pinned).toBe(true);
    expect(thread.migrationLockCounter).toBe(1);
    expect(thread.stats.migrations).toBe(1);
    // The helper that woke it on the target exited and was joined.
    const wakeme = kernel.threads.find((t) => t.name === "mover.wakeme")!;
    expect(kernel.threadTable().find((t) => t.id === wakeme.id)!.status).toBe("terminated");
  });

  it("pin(t, cpu) moves a sleeping thread, whose sleep timer follows it and still lasts its full time", () => {
    const { sim, kernel } = boot(2);
    let sleptNs = 0;
    let wokeOn = -1;
    const sleeper = kernel.spawn(
      "sleeper",
      function* (api): Guest<void> {
        const start = yield* api.now();
        yield* api.sleep(100_000);
        sleptNs = (yield* api.now()) - start;
        wokeOn = kernel.cpuOf().index;
      },
      { cpu: 0 },
    );
    kernel.spawn(
      "pinner",
      function* (api): Guest<void> {
        yield* api.compute(10_000);
        yield* api.pin(1, sleeper);
      },
      { cpu: 1 },
    );
    kernel.start();
    expect(sim.run().failure).toBeNull();
    expect(sleptNs).toBeGreaterThanOrEqual(100_000);
    expect(wokeOn).toBe(1);
    expect(sleeper.pinned).toBe(true);
    expect(sleeper.pinnedCpu?.index).toBe(1);
  });

  it("pin(t, cpu) moves a thread in a timed wait, whose wait timer follows it and times out there", () => {
    const { sim, kernel } = boot(2);
    const seen = { held: true, waitedNs: 0, wokeOn: -1, timerOnSource: true };
    const waiter = kernel.spawn(
      "waiter",
      function* (api): Guest<void> {
        const start = yield* api.now();
        // Nothing makes the predicate true: only the timer ends the wait.
        seen.held = yield* kernel.waitUntilDeadline(function* () {
          return false;
        }, start + 100_000);
        seen.waitedNs = (yield* api.now()) - start;
        seen.wokeOn = kernel.cpuOf().index;
      },
      { cpu: 0 },
    );
    kernel.spawn(
      "pinner",
      function* (api): Guest<void> {
        yield* api.compute(10_000);
        yield* api.pin(1, waiter);
        const timer = waiter.waitTimer!;
        seen.timerOnSource = timer.list === kernel.cpus[0]!.timers;
      },
      { cpu: 1 },
    );
    kernel.start();
    expect(sim.run().failure).toBeNull();
    expect(waiter.stats.migrations).toBe(1);
    expect(seen.timerOnSource).toBe(false);
    expect(seen.held).toBe(false);
    expect(seen.wokeOn).toBe(1);
    expect(seen.waitedNs).toBeGreaterThanOrEqual(100_000);
    expect(seen.waitedNs).toBeLessThan(150_000);
  });

  it("pin(t, cpu) waits while t is in migrate_disable, retrying every 1 ms", () => {
    const { sim, kernel } = boot(2);
    let pinnedAtNs = 0;
    let cpuAfter = -1;
    const busy = kernel.spawn(
      "busy",
      function* (api): Guest<void> {
        yield* api.migrateDisable();
        for (let i = 0; i < 30; i++) yield* api.compute(1_000_000);
        yield* api.migrateEnable();
        yield* api.compute(2_000_000);
        cpuAfter = kernel.cpuOf().index;
      },
      { cpu: 0 },
    );
    kernel.spawn(
      "pinner",
      function* (api): Guest<void> {
        yield* api.compute(10_000);
        yield* api.pin(1, busy);
        pinnedAtNs = yield* api.now();
      },
      { cpu: 1 },
    );
    kernel.start();
    expect(sim.run().failure).toBeNull();
    // The helper gets cpu0 once busy's hysteresis credit runs out (~5 ms), finds it in
    // migrate_disable, and retries every 1 ms until busy leaves it at 30 ms.
    expect(kernel.pinRetries).toBeGreaterThanOrEqual(10);
    expect(pinnedAtNs).toBeGreaterThanOrEqual(30_000_000);
    expect(cpuAfter).toBe(1);
    expect(busy.stats.migrations).toBe(1);
  });
});

describe("the load balancer and migration locks", () => {
  function balance(lock: "none" | "migrate-disable" | "pin-then-unpin") {
    const { sim, kernel } = boot(2, { stopWhenDone: false });
    const hogs: KThread[] = [];
    for (let i = 0; i < 3; i++) {
      hogs.push(
        kernel.spawn(
          `hog${i}`,
          function* (api): Guest<void> {
            if (lock === "migrate-disable") yield* api.migrateDisable();
            if (lock === "pin-then-unpin") {
              yield* api.pin(0);
              yield* api.compute(250_000_000);
              yield* api.unpin();
            }
            yield* hog(api);
          },
          { cpu: 0 },
        ),
      );
    }
    kernel.start();
    sim.run({ untilNs: 500_000_000 });
    return hogs;
  }

  it("moves hogs off an overloaded CPU, but never one in migrate_disable, nor a pinned one", () => {
    const free = balance("none");
    expect(free.some((t) => t.stats.migrations > 0)).toBe(true);
    const locked = balance("migrate-disable");
    expect(locked.map((t) => t.stats.migrations)).toEqual([0, 0, 0]);
    // Pinned for the first 250 ms of CPU time each (750 ms of wall time for three), never moved.
    const pinned = balance("pin-then-unpin");
    expect(pinned.map((t) => t.stats.migrations)).toEqual([0, 0, 0]);
  });

  /** Three hogs on cpu0 that pin themselves there (and, after `unpinAfterNs` of CPU, unpin). */
  function pinnedHogs(kernel: ReturnType<typeof boot>["kernel"], unpinAfterNs?: number): KThread[] {
    return [0, 1, 2].map((i) =>
      kernel.spawn(
        `hog${i}`,
        function* (api): Guest<void> {
          yield* api.pin(0);
          if (unpinAfterNs !== undefined) {
            yield* api.compute(unpinAfterNs);
            yield* api.unpin();
          }
          yield* hog(api);
        },
        { cpu: 0 },
      ),
    );
  }

  it("unpin() lets the balancer move a thread again", () => {
    const { sim, kernel } = boot(2, { stopWhenDone: false });
    const hogs = pinnedHogs(kernel, 50_000_000);
    kernel.start();
    sim.run({ untilNs: 600_000_000 });
    expect(hogs.some((t) => t.stats.migrations > 0)).toBe(true);
    expect(hogs.every((t) => !t.pinned && t.migrationLockCounter === 0)).toBe(true);
  });

  it("unpin(t) from another CPU lets the balancer move t again (a helper does it on t's CPU)", () => {
    function run(unpinOthers: boolean) {
      const { sim, kernel } = boot(2, { stopWhenDone: false });
      const hogs = pinnedHogs(kernel);
      kernel.spawn(
        "unpinner",
        function* (api): Guest<void> {
          yield* api.sleep(50_000_000);
          if (unpinOthers) for (const t of hogs) yield* api.unpin(t);
        },
        { cpu: 1, pinned: true },
      );
      kernel.start();
      sim.run({ untilNs: 600_000_000 });
      return { hogs, kernel };
    }
    const kept = run(false);
    expect(kept.hogs.map((t) => t.stats.migrations)).toEqual([0, 0, 0]);
    expect(kept.hogs.every((t) => t.pinned && t.migrationLockCounter === 1)).toBe(true);
    const freed = run(true);
    expect(freed.hogs.some((t) => t.stats.migrations > 0)).toBe(true);
    expect(freed.hogs.every((t) => !t.pinned && t.migrationLockCounter === 0)).toBe(true);
    // One helper per unpin, started on cpu0 where the hogs are.
    const helpers = freed.kernel.threads.filter((t) => t.name.endsWith(".unpinner"));
    expect(helpers.map((t) => t.name)).toEqual(["hog0.unpinner", "hog1.unpinner", "hog2.unpinner"]);
    expect(helpers.map((t) => t.cpu.index)).toEqual([0, 0, 0]);
  });
});

describe("real-time priorities", () => {
  function rtRun(yieldEachChunk: boolean) {
    // All three on the runqueue from the start (after-boot would wake them one by one from the
    // balancer, which a real-time thread then keeps off the CPU).
    const { sim, kernel } = boot(1, { workloadsStart: "with-cpu" });
    const order: string[] = [];
    let hogCpuWhenRtDoneNs = -1;
    let rtDone = 0;
    const hogThread = kernel.spawn("hog", hog);
    for (const name of ["A", "B"]) {
      kernel.spawn(
        name,
        function* (api): Guest<void> {
          for (let i = 0; i < 5; i++) {
            yield* api.compute(1_000_000);
            order.push(name);
            if (yieldEachChunk) yield* api.yield();
          }
          if (++rtDone === 2) hogCpuWhenRtDoneNs = kernel.cpuTimeNs(hogThread);
        },
        { realtime: 3 },
      );
    }
    kernel.start();
    sim.run({ untilNs: 30_000_000 });
    return { order: order.join(""), hogCpuWhenRtDoneNs };
  }

  it("equal real-time threads run FIFO without a time slice, ahead of normal threads", () => {
    const { order, hogCpuWhenRtDoneNs } = rtRun(false);
    expect(order).toBe("AAAAABBBBB");
    // The hog only ran before the real-time threads were first switched in.
    expect(hogCpuWhenRtDoneNs).toBeLessThan(100_000);
  });

  it("a yielding real-time thread goes behind its equals", () => {
    expect(rtRun(true).order).toBe("ABABABABAB");
  });

  it("set_realtime_priority: a thread that raises itself is no longer preempted by a hog", () => {
    const { sim, kernel } = boot(1);
    let preemptionsAsNormal = 0;
    let preemptionsAsRt = 0;
    kernel.spawn("hog", hog);
    const me = kernel.spawn("riser", function* (api, self): Guest<void> {
      for (let i = 0; i < 50; i++) yield* api.compute(1_000_000);
      preemptionsAsNormal = self.stats.preemptions;
      yield* api.setRealtimePriority(2);
      for (let i = 0; i < 50; i++) yield* api.compute(1_000_000);
      preemptionsAsRt = self.stats.preemptions - preemptionsAsNormal;
      yield* api.setRealtimePriority(0);
    });
    kernel.start();
    sim.run({ untilNs: 300_000_000 });
    expect(preemptionsAsNormal).toBeGreaterThan(2);
    expect(preemptionsAsRt).toBe(0);
    expect(me.realtime).toBe(0);
  });

  it("setPriority(0.5) on itself gets about twice the CPU of a priority-1 hog", () => {
    const { sim, kernel } = boot(1);
    const other = kernel.spawn("hog", hog);
    const fast = kernel.spawn("fast", function* (api): Guest<void> {
      yield* api.setPriority(0.5);
      yield* hog(api);
    });
    kernel.start();
    sim.run({ untilNs: 3_000_000_000 });
    const ratio = kernel.cpuTimeNs(fast) / kernel.cpuTimeNs(other);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });
});

describe("detach and the reaper", () => {
  it("frees detached threads whether detach() comes before or after they complete", () => {
    const { sim, kernel } = boot(2);
    const children: KThread[] = [];
    kernel.spawn(
      "parent",
      function* (api): Guest<void> {
        // Created detached; detached long before completing; detached after completing.
        children.push(
          yield* api.create("born-detached", (inner) => inner.compute(5_000), { detached: true }),
        );
        const early = yield* api.create("early", (inner) => inner.compute(50_000), { cpu: 1 });
        yield* api.detach(early);
        children.push(early);
        const late = yield* api.create("late", (inner) => inner.compute(1_000), { cpu: 1 });
        yield* api.compute(200_000);
        yield* api.detach(late);
        children.push(late);
      },
      { cpu: 0 },
    );
    kernel.start();
    const result = sim.run();
    expect(result.failure).toBeNull();
    expect(result.outcome).toBe("ok");
    expect(children.map((t) => t.reaped)).toEqual([true, true, true]);
    expect(kernel.reapedThreads).toBe(3);
  });

  it("joining a detached thread is an error the model asserts", () => {
    const result = buildScenario(
      parseScenario(
        `name: t
machine: { cpus: 1 }
workloads: [{ program: thread-churn, threads: 1, params: { iterations: 1 } }]`,
        "t.yaml",
      ),
    );
    const kernel = result.kernel!;
    kernel.spawn("bad", function* (api): Guest<void> {
      const child = yield* api.create("child", (inner) => inner.compute(1_000));
      yield* api.detach(child);
      yield* api.join(child);
    });
    const run = result.run();
    expect(run.outcome).toBe("violation");
    expect(run.failure?.check).toBe("sched.join-detached");
  });
});

describe("idle polling", () => {
  it("a CPU booting with threads already queued polls once, not idlePolls times, before running them", () => {
    // Boot queues the workloads without the wakeup mask; the idle loop checks the runqueue after
    // each poll (OSv's do_idle), so the first poll is the last. Waiting out all 40 quiet polls
    // (54 ns each) would start the thread about 2 us later.
    const startedAt = (idlePolls: number): number => {
      const { sim, kernel } = boot(1, { idlePolls });
      let at = -1;
      kernel.spawn("first", function* (): Guest<void> {
        at = sim.now;
      });
      kernel.start();
      expect(sim.run().failure).toBeNull();
      return at;
    };
    const once = startedAt(1);
    expect(once).toBeGreaterThan(0);
    expect(startedAt(40)).toBe(once);
    expect(startedAt(10_000)).toBe(once);
  });
});
