// Placement of a workload's threads: which CPU slot i runs on (the scenario's `pin` list, cycled),
// and on which ThreadHost the synchronization programs run — engine processes or OSv threads.

import { z } from "zod";
import { kernelHost, ProcessHost, type ThreadHost } from "../../kernel/index.js";
import type { ProgramContext } from "../registry.js";

/** The CPU of a workload's thread `i`: pinned round-robin over `pin`, else CPU 0 and free to move. */
export function cpuFor(context: ProgramContext<unknown>, i: number): { cpu: number; pinned: boolean } {
  const pin = context.pin;
  if (pin === undefined || pin.length === 0) return { cpu: 0, pinned: false };
  const cpu = pin[i % pin.length]!;
  if (cpu >= context.osv().cpus.length) throw new RangeError(`pin: cpu ${cpu} does not exist`);
  return { cpu, pinned: true };
}

/** The `on` parameter of programs that can run on either host. */
export const hostParam = () =>
  z.enum(["engine", "osv"]).default("engine").meta({
    description:
      "engine: each thread a process on its own notional CPU; osv: OSv threads on the scheduler model, placed by `pin`",
  });

export function hostFor(context: ProgramContext<unknown>, on: "engine" | "osv"): ThreadHost {
  if (on === "engine") return new ProcessHost(context.sim);
  const kernel = context.osv();
  return kernelHost(kernel, (slot) => ({ priority: context.priority, ...cpuFor(context, slot) }));
}
