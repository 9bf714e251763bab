// The registries a scenario draws on: guest programs (workloads) and the checks they provide. One
// general mechanism: each program declares its parameter schema (zod) and the named checks it can
// attach; the scenario schema, the JSON Schema and validation are all built from these registries,
// so a later layer (the kernel model) adds programs without touching the loader.

import type { z } from "zod";
import { CLOCK_MONOTONIC_CHECK, type Kernel } from "../kernel/index.js";
import type { Simulation } from "../sim/index.js";

export interface WorkloadInstance {
  /** Check name → end-of-run check (answers a failure message or null). */
  endChecks: Readonly<Record<string, () => string | null>>;
  /** Measurements for the report (e.g. ns per hand-off), read after the run. */
  metrics?: () => Record<string, number>;
}

export interface ProgramContext<P> {
  sim: Simulation;
  params: P;
  /** Number of guest threads the workload asks for. */
  threads: number;
  /** The workload's position in the scenario, for unique names. */
  index: number;
  /** Invariant checks (asserted during the run) that the scenario enabled. */
  enabled: ReadonlySet<string>;
  /** The workload's OSv priority and pinning from the scenario. */
  priority: number;
  pin: readonly number[] | undefined;
  /** The OSv kernel on the scenario's machine, booted on first use (kernel programs only). */
  osv(): Kernel;
}

export interface Program<P = unknown> {
  name: string;
  description: string;
  /** zod schema of `params` (a strict object with defaults). */
  params: z.ZodType<P>;
  /** Names of the checks this program can provide; the first ones are enabled by default. */
  checks: readonly { name: string; description: string }[];
  /** Its threads run on the OSv kernel model, so a scenario may also name the KERNEL_CHECKS. */
  runsOnKernel?: boolean;
  build(context: ProgramContext<P>): WorkloadInstance;
}

/**
 * Checks the OSv kernel model itself provides to any scenario with a kernel program (asserted during
 * the run; enabled like a program's checks).
 */
export const KERNEL_CHECKS: readonly { name: string; description: string }[] = [
  {
    name: CLOCK_MONOTONIC_CHECK,
    description:
      "every uptime read on a CPU is >= that CPU's previous read (and >= 0); the timer_set abort on a clock that went backwards is reported under this name whether enabled or not",
  },
];

/** The checks a scenario may name for `program`: its own, and the kernel's if it runs on the kernel. */
export function checksOf(program: Program<unknown>): readonly { name: string; description: string }[] {
  return program.runsOnKernel === true ? [...program.checks, ...KERNEL_CHECKS] : program.checks;
}

const programs = new Map<string, Program<unknown>>();

export function registerProgram<P>(program: Program<P>): void {
  if (programs.has(program.name)) throw new Error(`program '${program.name}' is already registered`);
  programs.set(program.name, program as Program<unknown>);
}

export function programList(): Program<unknown>[] {
  return [...programs.values()];
}

export function findProgram(name: string): Program<unknown> | undefined {
  return programs.get(name);
}
