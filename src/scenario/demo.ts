// A one-call counter demo for library users and tests: threads increment a shared counter (atomic
// or racy), with an end check on the total. The `counter` scenario program is the same workload.

import { Simulation, type SimulationOptions } from "../sim/index.js";
import { spawnCounter } from "./programs/engine.js";

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
  const counter = spawnCounter(sim, { ...options, workNs: 100 });
  const expected = options.threads * options.increments;
  sim.addCheck("counter-total", () =>
    counter.value === expected
      ? null
      : `counter is ${counter.value}, expected ${expected}: an update was lost`,
  );
  return sim;
}
