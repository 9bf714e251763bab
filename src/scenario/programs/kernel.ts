// Guest programs that run as OSv threads on the scheduler model (osv-internals.md §9.5's test
// programs): cpu-hog (misc-timeslice, misc-scheduler, misc-loadbalance), intermittent (run T, sleep
// T), sleeper, ping-pong (misc-ctxsw: two threads hand a token through wait/wake) and thread-churn
// (tst-threadcomplete: create and join, or detach). Each declares its parameters and checks.

import { z } from "zod";
import { type Kernel, type KThread, LockfreeMutex, MUTEX_VARIANTS } from "../../kernel/index.js";
import { cellEquals, formatDuration, type Guest, load, store } from "../../sim/index.js";
import { registerProgram } from "../registry.js";
import { durationType } from "../units.js";
import { cpuFor } from "./hosts.js";

/** Hogs of every cpu-hog workload, per kernel, for the cross-workload fairness check. */
const hogsOf = new WeakMap<Kernel, KThread[]>();

function fairShare(kernel: Kernel, tolerance: number): string | null {
  const hogs = hogsOf.get(kernel) ?? [];
  for (const cpu of kernel.cpus) {
    const here = hogs.filter((t) => t.cpu === cpu);
    if (here.length < 2) continue;
    const weight = here.reduce((sum, t) => sum + 1 / t.runtime.priority, 0);
    const total = here.reduce((sum, t) => sum + t.stats.totalCpuNs, 0);
    for (const t of here) {
      const ideal = total * (1 / t.runtime.priority / weight);
      const error = Math.abs(t.stats.totalCpuNs - ideal) / ideal;
      if (error > tolerance) {
        return `${t.name} on cpu${cpu.index} got ${formatDuration(t.stats.totalCpuNs)} of CPU, ideal ${formatDuration(Math.round(ideal))} (off by ${(error * 100).toFixed(1)}%, tolerance ${tolerance * 100}%)`;
      }
    }
  }
  return null;
}

registerProgram({
  name: "cpu-hog",
  usesKernel: () => true,
  description: "threads that compute forever in chunks (misc-timeslice, misc-scheduler)",
  params: z.strictObject({
    chunk: durationType().default(1_000_000).meta({ description: "compute per loop iteration" }),
    fair_tolerance: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .meta({ description: "allowed relative error of fair-share" }),
    slice_min: durationType().optional().meta({ description: "timeslice check: lowest mean slice" }),
    slice_max: durationType().optional().meta({ description: "timeslice check: highest mean slice" }),
    min_share: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .meta({ description: "cpu-share check: least CPU time per hog as a fraction of the run" }),
  }),
  checks: [
    { name: "fair-share", description: "co-located hogs get CPU in proportion to 1/priority" },
    { name: "timeslice", description: "mean slice between switches lies in [slice_min, slice_max]" },
    { name: "cpu-share", description: "every hog got at least min_share of the run's virtual time" },
  ],
  build(context) {
    const { params } = context;
    const kernel = context.osv();
    const mine: KThread[] = [];
    for (let i = 0; i < context.threads; i++) {
      const where = cpuFor(context, i);
      mine.push(
        kernel.spawn(
          `w${context.index}.hog${i}`,
          function* (api): Guest<void> {
            for (;;) yield* api.compute(params.chunk);
          },
          { priority: context.priority, ...where },
        ),
      );
    }
    hogsOf.set(kernel, [...(hogsOf.get(kernel) ?? []), ...mine]);
    const meanSliceNs = () => {
      const cpu = mine.reduce((sum, t) => sum + t.stats.totalCpuNs, 0);
      const slices = mine.reduce((sum, t) => sum + t.stats.switches, 0);
      return slices === 0 ? 0 : cpu / slices;
    };
    return {
      endChecks: {
        "fair-share": () => fairShare(kernel, params.fair_tolerance),
        "cpu-share": () => {
          const runNs = context.sim.now;
          for (const t of mine) {
            const cpuNs = kernel.cpuTimeNs(t);
            if (cpuNs < params.min_share * runNs) {
              return `${t.name} got ${formatDuration(cpuNs)} of CPU in ${formatDuration(runNs)} (< ${params.min_share * 100}%)`;
            }
          }
          return null;
        },
        timeslice: () => {
          const mean = meanSliceNs();
          if (params.slice_min !== undefined && mean < params.slice_min)
            return `mean slice ${formatDuration(Math.round(mean))} < ${formatDuration(params.slice_min)}`;
          if (params.slice_max !== undefined && mean > params.slice_max)
            return `mean slice ${formatDuration(Math.round(mean))} > ${formatDuration(params.slice_max)}`;
          return null;
        },
      },
      metrics: () => ({ mean_slice_ns: Math.round(meanSliceNs()) }),
    };
  },
});

registerProgram({
  name: "intermittent",
  usesKernel: () => true,
  description: "threads that compute for `run`, then sleep for `sleep`, forever (misc-scheduler)",
  params: z.strictObject({
    run: durationType().default(5_000_000),
    sleep: durationType().default(5_000_000),
  }),
  checks: [],
  build(context) {
    const { params } = context;
    const kernel = context.osv();
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `w${context.index}.intermittent${i}`,
        function* (api): Guest<void> {
          for (;;) {
            yield* api.compute(params.run);
            yield* api.sleep(params.sleep);
          }
        },
        { priority: context.priority, ...cpuFor(context, i) },
      );
    }
    return { endChecks: {} };
  },
});

registerProgram({
  name: "sleeper",
  usesKernel: () => true,
  description: "threads that sleep `count` times for `sleep` each, checking they wake on time",
  params: z.strictObject({
    sleep: durationType().default(1_000_000),
    count: z.number().int().min(1).max(1_000_000).default(10),
  }),
  checks: [{ name: "sleep-duration", description: "every sleep lasts at least its duration" }],
  build(context) {
    const { params, sim } = context;
    const kernel = context.osv();
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `w${context.index}.sleeper${i}`,
        function* (api): Guest<void> {
          for (let n = 0; n < params.count; n++) {
            const start = yield* api.now();
            yield* api.sleep(params.sleep);
            if (context.enabled.has("sleep-duration")) {
              // Measured on OSv's own clock (uptime), as a guest test program would.
              const slept = (yield* api.now()) - start;
              sim.assert(
                slept >= params.sleep,
                "sleep-duration",
                () => `slept ${slept} ns of ${params.sleep}`,
              );
            }
          }
        },
        { priority: context.priority, ...cpuFor(context, i) },
      );
    }
    return { endChecks: {} };
  },
});

registerProgram({
  name: "ping-pong",
  usesKernel: () => true,
  description: "two threads hand a token back and forth through wait/wake (misc-ctxsw)",
  params: z.strictObject({
    rounds: z.number().int().min(1).max(10_000_000).default(1000),
  }),
  checks: [{ name: "ping-pong-rounds", description: "every round completes" }],
  build(context) {
    if (context.threads !== 2)
      throw new RangeError(`ping-pong needs exactly 2 threads, got ${context.threads}`);
    const { params, sim } = context;
    const kernel = context.osv();
    const token = sim.memory.cell(`w${context.index}.token`);
    const players: KThread[] = [];
    let handoffs = 0;
    let firstNs = -1;
    let lastNs = 0;
    for (let me = 0; me < 2; me++) {
      players.push(
        kernel.spawn(
          `w${context.index}.ping${me}`,
          function* (api): Guest<void> {
            // A shared predicate (a fresh `function*` closure per round would cost V8 microseconds).
            const myTurn = cellEquals(token, me);
            const handOver = store(token, 1 - me);
            for (let r = 0; r < params.rounds; r++) {
              yield* api.waitUntil(myTurn);
              // Measured by the observer (virtual time): a clock read here would cost guest time.
              if (firstNs < 0) firstNs = sim.now;
              yield handOver;
              handoffs++;
              lastNs = sim.now;
              yield* api.wake(players[1 - me]!);
            }
          },
          { priority: context.priority, ...cpuFor(context, me) },
        ),
      );
    }
    const expected = 2 * params.rounds;
    return {
      endChecks: {
        "ping-pong-rounds": () =>
          handoffs === expected ? null : `${handoffs} of ${expected} hand-offs happened`,
      },
      metrics: () => ({
        handoffs,
        ns_per_handoff: handoffs > 1 ? Math.round((lastNs - firstNs) / (handoffs - 1)) : 0,
      }),
    };
  },
});

registerProgram({
  name: "thread-churn",
  usesKernel: () => true,
  description:
    "each thread repeatedly creates a short-lived thread and joins (or detaches) it (tst-threadcomplete)",
  params: z.strictObject({
    iterations: z.number().int().min(1).max(100_000).default(50),
    work: durationType().default(1000).meta({ description: "compute in each short-lived thread" }),
    child_cpu: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "start the short-lived threads on this CPU" }),
    detach: z
      .boolean()
      .default(false)
      .meta({ description: "detach each short-lived thread instead of joining it (the reaper frees it)" }),
    detach_delay: durationType()
      .default(0)
      .meta({ description: "compute before detaching, so that the child may complete first" }),
  }),
  checks: [
    {
      name: "churn-complete",
      description: "every create/join iteration finishes; with detach, every child ran and was freed",
    },
  ],
  build(context) {
    const { params } = context;
    const kernel = context.osv();
    let joined = 0;
    let finished = 0;
    const detached: KThread[] = [];
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `w${context.index}.churn${i}`,
        function* (api): Guest<void> {
          for (let n = 0; n < params.iterations; n++) {
            const child = yield* api.create(
              `w${context.index}.churn${i}.${n}`,
              function* (inner): Guest<void> {
                yield* inner.compute(params.work);
                finished++;
              },
              params.child_cpu === undefined ? {} : { cpu: params.child_cpu, pinned: true },
            );
            if (params.detach) {
              if (params.detach_delay > 0) yield* api.compute(params.detach_delay);
              yield* api.detach(child);
              detached.push(child);
            } else {
              yield* api.join(child);
              joined++;
            }
          }
        },
        { priority: context.priority, ...cpuFor(context, i) },
      );
    }
    const expected = context.threads * params.iterations;
    const detachedComplete = (): string | null => {
      if (detached.length !== expected) return `${detached.length} of ${expected} children detached`;
      if (finished !== expected) return `${finished} of ${expected} children finished`;
      const leaked = detached.filter((t) => !t.reaped);
      return leaked.length === 0
        ? null
        : `${leaked.length} detached children never freed (first: ${leaked[0]!.name})`;
    };
    return {
      endChecks: {
        "churn-complete": () =>
          params.detach
            ? detachedComplete()
            : joined === expected
              ? null
              : `${joined} of ${expected} joins returned`,
      },
    };
  },
});

registerProgram({
  name: "osv-mutex-counter",
  usesKernel: () => true,
  description:
    "OSv threads on the scheduler increment a plain counter under one lockfree::mutex (misc-mutex)",
  params: z.strictObject({
    increments: z.number().int().min(0).max(100_000).default(20),
    work: durationType().default(200).meta({ description: "compute between the counter's load and store" }),
    think: durationType().default(500).meta({ description: "compute before each lock" }),
    variant: z.enum(MUTEX_VARIANTS).default("correct").meta({ description: "the mutex, or a mutant" }),
  }),
  checks: [
    { name: "mutual-exclusion", description: "never two holders (asserted at acquire and release)" },
    { name: "mutex-counter-total", description: "the counter equals threads x increments at the end" },
  ],
  build(context) {
    const { params, sim } = context;
    const kernel = context.osv();
    // The scheduler model is the WaitPort: the mutex waits and wakes through OSv's own protocol.
    const mutex = new LockfreeMutex(sim, kernel, `w${context.index}.mutex`, { variant: params.variant });
    const counter = sim.memory.cell(`w${context.index}.counter`);
    let holders = 0;
    let done = 0;
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `w${context.index}.locker${i}`,
        function* (api): Guest<void> {
          for (let n = 0; n < params.increments; n++) {
            if (params.think > 0) yield* api.compute(params.think);
            yield* mutex.lock();
            holders++;
            if (context.enabled.has("mutual-exclusion")) {
              sim.assert(holders === 1, "mutual-exclusion", () => `${holders} threads hold ${mutex.name}`);
            }
            const value = yield load(counter);
            if (params.work > 0) yield* api.compute(params.work);
            yield store(counter, value + 1);
            holders--;
            yield* mutex.unlock();
          }
          done++;
        },
        { priority: context.priority, ...cpuFor(context, i) },
      );
    }
    const expected = context.threads * params.increments;
    return {
      endChecks: {
        "mutex-counter-total": () =>
          counter.value === expected
            ? null
            : `counter is ${counter.value} (expected ${expected}); ${done} of ${context.threads} threads finished`,
      },
      metrics: () => ({ handoffs: mutex.stats.directHandoffs + mutex.stats.handoffTakes }),
    };
  },
});
