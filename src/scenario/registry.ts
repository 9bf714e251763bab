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
  build(context: ProgramContext<P>): WorkloadInstance;
  /** Whether the workload runs on the OSv kernel with these params (its kernel checks apply then). */
  usesKernel?(params: P): boolean;
}

/** Checks the kernel itself provides to any scenario with a workload on it (osv-internals.md §2.16). */
export const KERNEL_CHECKS: readonly { name: string; description: string }[] = [
  {
    name: "sched-states",
    description: "every thread status change is a legal transition of §2.3 (always asserted)",
  },
  {
    name: "sched-progress",
    description: "a runnable thread gets its CPU within kernel.progress_bound (checked at every reschedule)",
  },
  {
    name: "sched-wake-delivery",
    description: "a woken thread reaches a runqueue within kernel.wake_delivery_bound (no lost wakeup)",
  },
  {
    name: "kernel-deadlock",
    description:
      "at the end, no cycle of threads each waiting for a lockfree::mutex another holds (the cycle is printed)",
  },
  {
    name: CLOCK_MONOTONIC_CHECK,
    description:
      "every uptime read on a CPU is >= that CPU's previous read (and >= 0); the timer_set abort on a clock that went backwards is reported under this name whether enabled or not",
  },
];

const programs = new Map<string, Program<unknown>>();

/** Bumped by every registration: schemas built from the program list are cached against it. */
let registrations = 0;

export function registerProgram<P>(program: Program<P>): void {
  if (programs.has(program.name)) throw new Error(`program '${program.name}' is already registered`);
  programs.set(program.name, program as Program<unknown>);
  registrations++;
}

/** How many programs were ever registered (a version of the program list). */
export function registryVersion(): number {
  return registrations;
}

export function programList(): Program<unknown>[] {
  return [...programs.values()];
}

export function findProgram(name: string): Program<unknown> | undefined {
  return programs.get(name);
}
