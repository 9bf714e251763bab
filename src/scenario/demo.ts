// The built-in engine demo that `osv-sim run` runs until the scenario format lands: threads on
// their own notional CPUs increment one shared counter, either atomically (fetch_add) or with a
// racy load-add-store that can lose updates under some schedules. A check compares the final count.

import {
  compute,
  fetchAdd,
  type Guest,
  load,
  Simulation,
  type SimulationOptions,
  store,
} from "../sim/index.js";

export interface CounterDemoOptions {
  threads: number;
  increments: number;
  /** Use load-add-store instead of fetch_add, so concurrent updates can be lost. */
  racy: boolean;
}

export const DEFAULT_COUNTER_DEMO: Readonly<CounterDemoOptions> = { threads: 3, increments: 4, racy: false };

/** Builds the counter demo on a new simulation; run it with `sim.run()`. */
export function buildCounterDemo(
  options: CounterDemoOptions,
  simOptions: SimulationOptions = {},
): Simulation {
  if (!(Number.isInteger(options.threads) && options.threads >= 1))
    throw new RangeError("threads must be >= 1");
  if (!(Number.isInteger(options.increments) && options.increments >= 0))
    throw new RangeError("increments must be >= 0");
  const sim = new Simulation(simOptions);
  const counter = sim.memory.cell("counter");
  for (let t = 0; t < options.threads; t++) {
    sim.spawn(`incr${t}`, function* (): Guest {
      for (let i = 0; i < options.increments; i++) {
        yield compute(100); // some work between increments, so the run spans virtual time
        if (options.racy) {
          const value = yield load(counter);
          yield store(counter, value + 1);
        } else {
          yield fetchAdd(counter, 1);
        }
      }
    });
  }
  const expected = options.threads * options.increments;
  sim.addCheck("counter-total", () =>
    counter.value === expected
      ? null
      : `counter is ${counter.value}, expected ${expected}: an update was lost`,
  );
  return sim;
}
