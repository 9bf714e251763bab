// Shared set-up for the hardware tests: a machine with every cost zero (so times are exact sums of
// the computes a test chose) unless the test asks for particular costs.

import {
  buildMachine,
  type CostModel,
  CpuContext,
  DEFAULT_COST_MODEL,
  type MachineBuildOptions,
} from "../../../src/hw/index.js";
import type { Guest, Simulation } from "../../../src/sim/index.js";

export const ZERO_COST: CostModel = Object.fromEntries(
  Object.keys(DEFAULT_COST_MODEL).map((key) => [key, 0]),
) as unknown as CostModel;

export function zeroCostMachine(sim: Simulation, options: MachineBuildOptions = {}) {
  return buildMachine(sim, {
    memoryBytes: 64 * 1024,
    interruptsEnabledAtStart: true,
    ...options,
    cost: { ...ZERO_COST, ...options.cost },
  });
}

/** A context running `body` (a fresh generator). */
export function context(name: string, body: () => Guest<unknown>): CpuContext {
  return new CpuContext(name, body());
}
