// Building a runnable simulation from a validated scenario: the engine with the scenario's seed,
// limits and faults, each workload's program, and the checks the scenario enabled.

import { type ApicOptions, buildMachine, type CostModel, DEFAULT_COST_MODEL } from "../hw/index.js";
import { CLOCK_MONOTONIC_CHECK, isKernelVariant, Kernel, WAKEUP_IPI_VECTOR } from "../kernel/index.js";
import { type RunResult, Simulation, type SimulationOptions } from "../sim/index.js";
import { findProgram, KERNEL_CHECKS } from "./registry.js";
import type { Scenario } from "./schema.js";

/** A scenario run is cut off after this many events unless its limits say otherwise. */
export const DEFAULT_SCENARIO_MAX_EVENTS = 10_000_000;

export interface BuildOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Engine options that are not the scenario's to decide (strategy, listeners, log keeping). */
  sim?: Omit<SimulationOptions, "seed" | "limits" | "computeJitter">;
}

export interface BuiltScenario {
  scenario: Scenario;
  sim: Simulation;
  /** The OSv kernel, when a workload needed one. */
  kernel: Kernel | null;
  /** Runs for the scenario's duration (or to quiescence). */
  run(): RunResult;
  /** The workloads' measurements, keyed `w<index>.<name>`. */
  metrics(): Record<string, number>;
}

export function checkNames(scenario: Scenario): Set<string> {
  if (scenario.checks.length > 0)
    return new Set(scenario.checks.map((c) => (typeof c === "string" ? c : c.name)));
  const all = new Set<string>();
  for (const w of scenario.workloads) for (const c of findProgram(w.program)!.checks) all.add(c.name);
  return all;
}

export function buildScenario(scenario: Scenario, options: BuildOptions = {}): BuiltScenario {
  const limits: SimulationOptions["limits"] = { maxEvents: DEFAULT_SCENARIO_MAX_EVENTS };
  if (scenario.limits.max_events !== undefined) limits.maxEvents = scenario.limits.max_events;
  if (scenario.limits.max_virtual_time !== undefined) limits.maxVirtualNs = scenario.limits.max_virtual_time;
  if (scenario.limits.max_steps_per_instant !== undefined)
    limits.maxStepsPerInstant = scenario.limits.max_steps_per_instant;
  if (scenario.limits.max_pending_events !== undefined)
    limits.maxPendingEvents = scenario.limits.max_pending_events;
  const simOptions: SimulationOptions = { ...options.sim, seed: options.seed ?? scenario.seed, limits };
  for (const fault of scenario.faults) {
    if (fault.kind === "compute-jitter")
      simOptions.computeJitter = { probability: fault.probability, maxNs: fault.max };
  }
  const sim = new Simulation(simOptions);
  const enabled = checkNames(scenario);
  let kernel: Kernel | null = null;
  const osv = (): Kernel => {
    kernel ??= bootKernel(sim, scenario, enabled);
    return kernel;
  };
  const metricSources: [number, () => Record<string, number>][] = [];
  scenario.workloads.forEach((workload, index) => {
    const program = findProgram(workload.program);
    if (program === undefined) throw new Error(`unknown program '${workload.program}'`);
    const instance = program.build({
      sim,
      params: workload.params,
      threads: workload.threads,
      index,
      enabled,
      priority: workload.priority,
      pin: workload.pin,
      osv,
    });
    if (instance.metrics !== undefined) metricSources.push([index, instance.metrics]);
    for (const { name } of program.checks) {
      if (!enabled.has(name)) continue;
      // Checks without an end-of-run part are invariants asserted during the run: they held if
      // the run got this far.
      const check = instance.endChecks[name] ?? (() => null);
      const invariant = instance.endChecks[name] === undefined;
      sim.addCheck(scenario.workloads.length > 1 && !invariant ? `${name}#${index}` : name, check);
    }
  });
  const booted = kernel as Kernel | null;
  if (booted !== null) addKernelChecks(sim, booted, enabled);
  booted?.start();
  const untilNs = scenario.duration;
  return {
    scenario,
    sim,
    kernel: booted,
    run: () => sim.run(untilNs === undefined ? {} : { untilNs }),
    metrics: () => {
      const out: Record<string, number> = {};
      for (const [index, read] of metricSources)
        for (const [k, v] of Object.entries(read())) out[`w${index}.${k}`] = v;
      return out;
    },
  };
}

/** The scenario's cost overrides (snake_case keys such as `load_ns`) as the hardware's CostModel fields. */
export function costOverrides(cost: Record<string, number | undefined>): Partial<CostModel> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(cost)) {
    const field = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(field in DEFAULT_COST_MODEL)) throw new RangeError(`machine.cost has no field '${key}'`);
    if (value !== undefined) out[field] = value;
  }
  return out as Partial<CostModel>;
}

/** The kernel's own checks the scenario enabled: asserted during the run, and once more at the end. */
function addKernelChecks(sim: Simulation, kernel: Kernel, enabled: ReadonlySet<string>): void {
  const ends: Record<string, () => string | null> = {
    "sched-states": () => null,
    "sched-progress": () => kernel.progressProblem(),
    "sched-wake-delivery": () => kernel.wakeDeliveryProblem(),
    "kernel-deadlock": () => kernel.waitForCycle(),
    [CLOCK_MONOTONIC_CHECK]: () => null,
  };
  for (const { name } of KERNEL_CHECKS) if (enabled.has(name)) sim.addCheck(name, ends[name]!);
}

function bootKernel(sim: Simulation, scenario: Scenario, enabled: ReadonlySet<string>): Kernel {
  const m = scenario.machine;
  const apic: Partial<ApicOptions> = {};
  let skewCyclesMax = 0;
  let apBringupNs: { min: number; max: number } | null = null;
  for (const fault of scenario.faults) {
    if (fault.kind === "ipi-latency") {
      apic.ipiLatencyNsMin = fault.min;
      apic.ipiLatencyNsMax = fault.max;
    } else if (fault.kind === "spurious-interrupt") {
      apic.spuriousRatio = fault.probability;
    } else if (fault.kind === "tsc-skew") {
      skewCyclesMax = fault.max_cycles;
    } else if (fault.kind === "ap-bringup") {
      apBringupNs = { min: fault.min, max: fault.max };
    }
  }
  const machine = buildMachine(sim, {
    cpus: m.cpus,
    // Guest memory holds only what the models place there (rings, pvclock pages); 64 MiB is plenty.
    memoryBytes: Math.min(m.memory, 64 * 1024 * 1024),
    tsc: { hz: m.clock.tsc_hz, skewCyclesMax },
    // Each CPU's pvclock record stays zero until that CPU's bring-up registers it (§9.1).
    kvmclock: { tscStableFlag: m.clock.tsc_stable, registerAtBuild: false },
    cost: costOverrides(m.cost),
    apic,
  });
  for (const fault of scenario.faults) {
    if (fault.kind !== "interrupt-injection") continue;
    // An injected wakeup IPI: its handler only EOIs, its epilogue tries to reschedule.
    for (const cpu of machine.cpus) cpu.setInterruptInjection(fault.probability, WAKEUP_IPI_VECTOR);
  }
  return new Kernel(sim, machine, {
    variants: scenario.kernel.variants.filter(isKernelVariant),
    // With a duration the run lasts that long; without one it ends when the kernel's workload does.
    stopWhenDone: scenario.duration === undefined,
    progressBoundNs: enabled.has("sched-progress") ? scenario.kernel.progress_bound : 0,
    wakeDeliveryBoundNs: enabled.has("sched-wake-delivery") ? scenario.kernel.wake_delivery_bound : 0,
    checkClockMonotonic: enabled.has(CLOCK_MONOTONIC_CHECK),
    apBringupNs,
    workloadsStart: scenario.kernel.workloads_start,
  });
}
