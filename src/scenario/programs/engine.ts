// Guest programs for the engine-only runtime (each thread on its own notional CPU), usable from
// scenarios until the OSv kernel model provides real threads: a shared counter (atomic or racy),
// Peterson's lock (correct, or without its turn variable), a lock-order cycle (a deadlock), and
// sleepers (the SimPy hold workload). Each declares its parameters and the checks it provides.

import { z } from "zod";
import {
  block,
  compareAndSwap,
  compute,
  fetchAdd,
  type Guest,
  load,
  type Process,
  type Simulation,
  sleep,
  store,
  wake,
} from "../../sim/index.js";
import { registerProgram } from "../registry.js";
import { durationType } from "../units.js";

export interface CounterOptions {
  threads: number;
  increments: number;
  racy: boolean;
  workNs: number;
}

/** Spawns threads that each increment one shared counter; answers the counter cell. */
export function spawnCounter(sim: Simulation, options: CounterOptions, prefix = "incr") {
  const counter = sim.memory.cell(`${prefix}.counter`);
  for (let t = 0; t < options.threads; t++) {
    sim.spawn(`${prefix}${t}`, function* (): Guest {
      for (let i = 0; i < options.increments; i++) {
        if (options.workNs > 0) yield compute(options.workNs);
        if (options.racy) {
          const value = yield load(counter);
          yield store(counter, value + 1);
        } else {
          yield fetchAdd(counter, 1);
        }
      }
    });
  }
  return counter;
}

registerProgram({
  name: "counter",
  description: "threads increment one shared counter, with fetch_add or a racy load-add-store",
  params: z.strictObject({
    increments: z.number().int().min(0).max(1_000_000).default(4),
    racy: z.boolean().default(false).meta({ description: "load-add-store instead of fetch_add" }),
    work: durationType().default(100).meta({ description: "compute between increments" }),
  }),
  checks: [{ name: "counter-total", description: "the counter equals threads x increments at the end" }],
  build({ sim, params, threads, index }) {
    const counter = spawnCounter(
      sim,
      { threads, increments: params.increments, racy: params.racy, workNs: params.work },
      `w${index}.incr`,
    );
    const expected = threads * params.increments;
    return {
      endChecks: {
        "counter-total": () =>
          counter.value === expected
            ? null
            : `counter is ${counter.value}, expected ${expected}: an update was lost`,
      },
    };
  },
});

registerProgram({
  name: "peterson",
  description: "two threads take Peterson's lock in turn (broken: test-then-set flags, no turn variable)",
  params: z.strictObject({
    rounds: z.number().int().min(1).max(100_000).default(3),
    broken: z
      .boolean()
      .default(false)
      .meta({ description: "test-then-set flags without turn: exclusion fails" }),
  }),
  checks: [
    { name: "mutual-exclusion", description: "never two threads in the critical section" },
    { name: "peterson-count", description: "the protected counter equals 2 x rounds" },
  ],
  build({ sim, params, threads, index, enabled }) {
    if (threads !== 2) throw new RangeError(`peterson needs exactly 2 threads, got ${threads}`);
    const flags = sim.memory.array(`w${index}.flag`, 2);
    const turn = sim.memory.cell(`w${index}.turn`);
    const shared = sim.memory.cell(`w${index}.shared`);
    let inside = 0;
    for (let me = 0; me < 2; me++) {
      const other = 1 - me;
      sim.spawn(`w${index}.p${me}`, function* (): Guest {
        for (let r = 0; r < params.rounds; r++) {
          if (params.broken) {
            // Test, then set: both can see the other's flag down and enter together.
            while ((yield load(flags[other]!)) === 1) yield compute(5);
            yield store(flags[me]!, 1);
          } else {
            yield store(flags[me]!, 1);
            yield store(turn, other);
            while ((yield load(flags[other]!)) === 1 && (yield load(turn)) === other) yield compute(5);
          }
          inside++;
          if (enabled.has("mutual-exclusion")) {
            sim.assert(inside === 1, "mutual-exclusion", () => `${inside} threads in the critical section`);
          }
          const v = yield load(shared);
          yield store(shared, v + 1);
          inside--;
          yield store(flags[me]!, 0);
        }
      });
    }
    return {
      endChecks: {
        "peterson-count": () =>
          shared.value === 2 * params.rounds
            ? null
            : `shared count is ${shared.value}, expected ${2 * params.rounds}`,
      },
    };
  },
});

registerProgram({
  name: "lock-order",
  description: "thread t takes locks t, t+1, ... (mod threads): with work in between, a lock-order cycle",
  params: z.strictObject({
    work: durationType().default(100).meta({ description: "compute while holding the first lock" }),
    rounds: z.number().int().min(1).max(10_000).default(1),
  }),
  checks: [],
  build({ sim, params, threads, index }) {
    if (threads < 2) throw new RangeError(`lock-order needs at least 2 threads, got ${threads}`);
    const owners = sim.memory.array(`w${index}.lock`, threads);
    const waiters: Process[][] = owners.map(() => []);
    function* lock(l: number, me: Process): Guest {
      for (;;) {
        if ((yield compareAndSwap(owners[l]!, 0, me.id + 1)) === 0) return;
        waiters[l]!.push(me);
        if ((yield load(owners[l]!)) === 0) {
          waiters[l]!.splice(waiters[l]!.indexOf(me), 1);
          continue;
        }
        yield block();
      }
    }
    function* unlock(l: number): Guest {
      yield store(owners[l]!, 0);
      const next = waiters[l]!.shift();
      if (next !== undefined) yield wake(next);
    }
    for (let t = 0; t < threads; t++) {
      const first = t;
      const second = (t + 1) % threads;
      sim.spawn(`w${index}.t${t}`, function* (self: Process): Guest {
        for (let r = 0; r < params.rounds; r++) {
          yield* lock(first, self);
          if (params.work > 0) yield compute(params.work);
          yield* lock(second, self);
          yield* unlock(second);
          yield* unlock(first);
        }
      });
    }
    return { endChecks: {} };
  },
});

registerProgram({
  name: "hold",
  description: "threads sleep durations drawn from the choice source, forever (the SimPy hold workload)",
  params: z.strictObject({
    max_sleep: durationType().default(1000).meta({ description: "upper bound of each sleep" }),
  }),
  checks: [],
  build({ sim, params, threads, index }) {
    for (let t = 0; t < threads; t++) {
      sim.spawn(`w${index}.hold${t}`, function* (): Guest {
        for (;;) yield sleep(sim.choice.between(0, params.max_sleep, "hold"));
      });
    }
    return { endChecks: {} };
  },
});
