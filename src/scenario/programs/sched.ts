// Guest programs for the scheduler's thread API beyond create and join (osv-internals.md §2.10,
// §2.11): pin-hop (threads pin themselves from CPU to CPU with a timer armed across every move, and
// may pin victim threads that sleep and compute, as tst-pin does), rt-worker (real-time threads: FIFO
// among equals, preempted only by a higher priority, running ahead of normal threads) and local-waker
// (a thread that keeps waking a partner on its own CPU, so schedule() runs with preemption enabled
// right after each wake — the path of #178).

import { z } from "zod";
import type { KThread, Timer } from "../../kernel/index.js";
import { fetchAdd, formatDuration, type Guest, load } from "../../sim/index.js";
import { type ProgramContext, registerProgram } from "../registry.js";
import { durationType } from "../units.js";

/** The CPU a workload's i-th thread starts on: its pin list round-robin, else CPU 0. */
function startCpu(context: ProgramContext<unknown>, i: number): number {
  const pin = context.pin;
  const cpu = pin === undefined || pin.length === 0 ? 0 : pin[i % pin.length]!;
  if (cpu >= context.osv().cpus.length) throw new RangeError(`pin: cpu ${cpu} does not exist`);
  return cpu;
}

/** Where the i-th thread starts, pinned there if the workload has a pin list. */
function placement(context: ProgramContext<unknown>, i: number): { cpu: number; pinned: boolean } {
  return { cpu: startCpu(context, i), pinned: context.pin !== undefined && context.pin.length > 0 };
}

registerProgram({
  name: "pin-hop",
  usesKernel: () => true,
  description:
    "threads pin themselves to the next CPU again and again with a timer armed across each move, optionally pinning a victim thread too (tst-pin)",
  params: z.strictObject({
    hops: z.number().int().min(1).max(100_000).default(10),
    work: durationType().default(10_000).meta({ description: "compute around each move" }),
    alarm: durationType()
      .default(50_000)
      .meta({ description: "a timer armed before each move and waited for after it" }),
    victim: z.enum(["none", "own", "shared"]).default("none").meta({
      description:
        "victim threads that sleep and compute, pinned by the hoppers to the CPU each just left: one per hopper, or one shared by all",
    }),
    victim_work: durationType().default(20_000).meta({ description: "a victim's compute per loop" }),
    victim_sleep: durationType().default(20_000).meta({ description: "a victim's sleep per loop" }),
    waker: z.boolean().default(false).meta({
      description:
        "a thread on the last CPU that wakes the victims (spuriously) every `work`, so pins meet waking victims",
    }),
    migrate_disable: z
      .boolean()
      .default(false)
      .meta({ description: "victims compute under migrate_disable (pin(t) must wait and retry)" }),
    unpin: z
      .boolean()
      .default(false)
      .meta({ description: "unpin after each hop, so the load balancer may move the hopper too" }),
    unpin_victim: z.boolean().default(false).meta({
      description:
        "unpin the victim right after pinning it (unpin(t): a helper on the victim's CPU, chasing it if it moves)",
    }),
    unpinner: z.boolean().default(false).meta({
      description:
        "a thread on the last CPU that unpins every victim every `work` while the hoppers move them, and once more at the end",
    }),
  }),
  checks: [
    { name: "pin-placement", description: "after pin(cpu) returns, the thread runs on that CPU" },
    { name: "pin-alarm", description: "a timer armed before a move fires after it, never early" },
    { name: "pin-complete", description: "every hop of every thread, and the victim, finished" },
    {
      name: "pin-unpinned",
      description:
        "with unpin_victim or unpinner, every victim ends unpinned and out of every migration lock (the last pin is followed by an unpin)",
    },
  ],
  build(context) {
    const { params, sim } = context;
    const kernel = context.osv();
    const cpus = kernel.cpus.length;
    const prefix = `w${context.index}`;
    let hopsDone = 0;
    let hoppersDone = 0;
    let victimsDone = 0;
    const checkAlarm = (thread: KThread, timer: Timer, deadlineNs: number) => {
      if (!context.enabled.has("pin-alarm")) return;
      sim.assert(timer.expired, "pin-alarm", () => `${thread.name} woke before ${timer.name} expired`);
      // The uptime the woken thread would read on its CPU (observed without an effect).
      const now = kernel.clock.peekUptimeNs(kernel.cpuOf().index);
      sim.assert(
        now >= deadlineNs,
        "pin-alarm",
        () => `${timer.name} fired ${formatDuration(deadlineNs - now)} early`,
      );
    };
    const victims: KThread[] = [];
    const victimCount = params.victim === "none" ? 0 : params.victim === "own" ? context.threads : 1;
    for (let v = 0; v < victimCount; v++) {
      const victim = kernel.spawn(
        `${prefix}.victim${v}`,
        function* (api, self): Guest<void> {
          const nap = Math.max(params.victim_sleep, 1000);
          while (hoppersDone < context.threads) {
            if (params.migrate_disable) yield* api.migrateDisable();
            yield* api.compute(params.victim_work);
            if (params.migrate_disable) yield* api.migrateEnable();
            const deadline = (yield* api.now()) + nap;
            yield* api.sleep(nap);
            checkAlarm(self, self.sleepTimer, deadline);
          }
          victimsDone++;
        },
        { priority: context.priority, cpu: cpus - 1 },
      );
      victims.push(victim);
    }
    if (params.waker && victims.length > 0) {
      kernel.spawn(
        `${prefix}.waker`,
        function* (api): Guest<void> {
          while (hoppersDone < context.threads) {
            yield* api.compute(params.work);
            for (const victim of victims) yield* api.wake(victim);
          }
        },
        { priority: context.priority, cpu: cpus - 1, pinned: true },
      );
    }
    if (params.unpinner && victims.length > 0) {
      kernel.spawn(
        `${prefix}.unpinner`,
        function* (api): Guest<void> {
          for (;;) {
            const last = hoppersDone === context.threads;
            for (const victim of victims) yield* api.unpin(victim);
            if (last) return;
            yield* api.compute(params.work);
          }
        },
        { priority: context.priority, cpu: cpus - 1, pinned: true },
      );
    }
    for (let i = 0; i < context.threads; i++) {
      const first = startCpu(context, i);
      const victim = victims[params.victim === "shared" ? 0 : i];
      kernel.spawn(
        `${prefix}.hopper${i}`,
        function* (api, self): Guest<void> {
          const alarm = kernel.newTimer(self, `${self.name}.alarm`);
          for (let h = 0; h < params.hops; h++) {
            const left = self.cpu.index;
            const target = (first + h + 1) % cpus;
            const deadline = (yield* api.now()) + params.alarm;
            if (params.alarm > 0) yield* kernel.setTimer(alarm, deadline);
            yield* api.compute(params.work);
            yield* api.pin(target);
            if (context.enabled.has("pin-placement")) {
              sim.assert(
                kernel.cpuOf().index === target && self.cpu.index === target,
                "pin-placement",
                () => `${self.name} pinned to cpu${target} runs on cpu${kernel.cpuOf().index}`,
              );
            }
            if (victim !== undefined) {
              yield* api.pin(left, victim);
              if (params.unpin_victim) yield* api.unpin(victim);
            }
            yield* api.compute(params.work);
            if (params.alarm > 0) {
              yield* api.waitUntil(function* () {
                return alarm.expired;
              });
              checkAlarm(self, alarm, deadline);
            }
            if (params.unpin) yield* api.unpin();
            hopsDone++;
          }
          hoppersDone++;
        },
        { priority: context.priority, cpu: first },
      );
    }
    const expected = context.threads * params.hops;
    return {
      endChecks: {
        "pin-complete": () => {
          if (hopsDone !== expected) return `${hopsDone} of ${expected} hops done`;
          return victimsDone === victimCount ? null : `${victimsDone} of ${victimCount} victims finished`;
        },
        "pin-unpinned": () => {
          if (!params.unpin_victim && !params.unpinner) return null;
          const held = victims.find((v) => v.pinned || v.migrationLockCounter !== 0);
          return held === undefined
            ? null
            : `${held.name} ended ${held.pinned ? `pinned to cpu${held.pinnedCpu?.index}` : "unpinned"} with migration lock ${held.migrationLockCounter}`;
        },
      },
      metrics: () => ({ hops: hopsDone, pin_retries: kernel.pinRetries }),
    };
  },
});

registerProgram({
  name: "rt-worker",
  usesKernel: () => true,
  description:
    "real-time threads that compute rounds of work in chunks, optionally sleeping or yielding first",
  params: z.strictObject({
    realtime: z.number().int().min(1).max(1_000_000).default(1).meta({ description: "real-time priority" }),
    rounds: z.number().int().min(1).max(100_000).default(10),
    work: durationType().default(1_000_000).meta({ description: "compute per round" }),
    chunk: durationType().default(100_000).meta({ description: "compute per step of a round" }),
    sleep: durationType().default(0).meta({ description: "sleep before each round" }),
    yield: z.boolean().default(false).meta({ description: "yield after every chunk" }),
    latency_max: durationType()
      .default(100_000)
      .meta({ description: "rt-latency: most time from a sleep's end to running again" }),
  }),
  checks: [
    {
      name: "rt-fifo",
      description: "equal-priority threads of the workload never interleave their rounds on one CPU",
    },
    { name: "rt-latency", description: "after each sleep the thread runs again within latency_max" },
    { name: "rt-complete", description: "every round of every thread finished" },
  ],
  build(context) {
    const { params, sim } = context;
    const kernel = context.osv();
    if (!(params.chunk > 0)) throw new RangeError("rt-worker: chunk must be > 0");
    const prefix = `w${context.index}`;
    /** Per CPU, the thread of this workload whose round is open there. */
    const openRound = new Map<number, KThread>();
    let rounds = 0;
    let worstLatencyNs = 0;
    const fifo = context.enabled.has("rt-fifo");
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `${prefix}.rt${i}`,
        function* (api, self): Guest<void> {
          for (let r = 0; r < params.rounds; r++) {
            if (params.sleep > 0) {
              const wakeNs = (yield* api.now()) + params.sleep;
              yield* api.sleep(params.sleep);
              // Observed on the thread's CPU without an effect (no extra clock read in the model).
              const latencyNs = kernel.clock.peekUptimeNs(kernel.cpuOf().index) - wakeNs;
              worstLatencyNs = Math.max(worstLatencyNs, latencyNs);
              if (context.enabled.has("rt-latency")) {
                sim.assert(
                  latencyNs <= params.latency_max,
                  "rt-latency",
                  () => `${self.name} ran ${formatDuration(latencyNs)} after its sleep ended`,
                );
              }
            }
            const cpu = self.cpu.index;
            const other = openRound.get(cpu);
            if (fifo) {
              sim.assert(
                other === undefined,
                "rt-fifo",
                () => `${self.name} starts a round on cpu${cpu} while ${other?.name}'s is open`,
              );
            }
            openRound.set(cpu, self);
            for (let done = 0; done < params.work; done += params.chunk) {
              yield* api.compute(Math.min(params.chunk, params.work - done));
              if (fifo) {
                sim.assert(
                  openRound.get(self.cpu.index) === self,
                  "rt-fifo",
                  () => `${self.name}'s round on cpu${self.cpu.index} was interleaved with another's`,
                );
              }
              if (params.yield) yield* api.yield();
            }
            if (openRound.get(cpu) === self) openRound.delete(cpu);
            rounds++;
          }
        },
        { priority: context.priority, realtime: params.realtime, ...placement(context, i) },
      );
    }
    const expected = context.threads * params.rounds;
    return {
      endChecks: {
        "rt-complete": () => (rounds === expected ? null : `${rounds} of ${expected} rounds finished`),
      },
      metrics: () => ({ worst_latency_ns: worstLatencyNs }),
    };
  },
});

registerProgram({
  name: "local-waker",
  usesKernel: () => true,
  description:
    "threads that compute in chunks and after each wake a partner waiting on their own CPU (so every wake ends in preempt_enable and schedule() with preemption on)",
  params: z.strictObject({
    rounds: z.number().int().min(1).max(1_000_000).default(1000),
    chunk: durationType().default(100_000).meta({ description: "compute before each wake" }),
  }),
  checks: [
    {
      name: "local-waker-rounds",
      description: "every round finished and each CPU's partner saw every wake meant for it",
    },
  ],
  build(context) {
    const { params, sim } = context;
    const kernel = context.osv();
    const prefix = `w${context.index}`;
    // One partner per CPU, pinned there, waiting for its CPU's token to change.
    const tokens = kernel.cpus.map((cpu) => sim.memory.cell(`${prefix}.token${cpu.index}`));
    const seen = kernel.cpus.map(() => 0);
    let wakersDone = 0;
    let rounds = 0;
    const partners = kernel.cpus.map((cpu) =>
      kernel.spawn(
        `${prefix}.partner${cpu.index}`,
        function* (api): Guest<void> {
          const token = tokens[cpu.index]!;
          for (;;) {
            let value = 0;
            yield* api.waitUntil(function* () {
              value = yield load(token);
              return value !== seen[cpu.index] || wakersDone === context.threads;
            });
            seen[cpu.index] = value;
            // Every waker stored its last token before counting itself done: this value is final.
            if (wakersDone === context.threads) return;
          }
        },
        { priority: context.priority, cpu: cpu.index, pinned: true },
      ),
    );
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `${prefix}.waker${i}`,
        function* (api, self): Guest<void> {
          for (let r = 0; r < params.rounds; r++) {
            yield* api.compute(params.chunk);
            const here = self.cpu.index;
            yield fetchAdd(tokens[here]!, 1);
            yield* api.wake(partners[here]!);
            rounds++;
          }
          wakersDone++;
          for (const partner of partners) yield* api.wake(partner);
        },
        { priority: context.priority, ...placement(context, i) },
      );
    }
    const expected = context.threads * params.rounds;
    return {
      endChecks: {
        "local-waker-rounds": () => {
          if (rounds !== expected) return `${rounds} of ${expected} rounds finished`;
          const behind = kernel.cpus.findIndex((cpu) => seen[cpu.index] !== tokens[cpu.index]!.value);
          return behind < 0
            ? null
            : `partner${behind} saw token ${seen[behind]}, the last one was ${tokens[behind]!.value}`;
        },
      },
    };
  },
});
