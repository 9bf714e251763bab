// Shared by the property tests of OSv's blocking primitives on OSv threads: a small scenario of one
// program on 2-4 vCPUs with interrupt injection (a preemption point after any step) and compute
// jitter, its threads spread over the CPUs, and a virtual-time budget so a lost wakeup ends as a
// failed run quickly (an OSv kernel never quiesces: its idle threads poll forever).
import { loadScenario } from "../../../src/index.js";

export function osvScenario(
  program: string,
  cpus: number,
  threads: number,
  params: string,
  checks: string[],
) {
  const pins = Array.from({ length: 8 }, (_, i) => i % cpus).join(", ");
  return loadScenario(
    `${program}-${cpus}.yaml`,
    `name: ${program}-${cpus}
machine: { cpus: ${cpus}, memory: 1MiB }
limits: { max_virtual_time: 2ms }
faults:
  - { kind: interrupt-injection, probability: 0.05 }
  - { kind: compute-jitter, probability: 0.3, max: 2us }
workloads:
  - program: ${program}
    threads: ${threads}
    pin: [${pins}]
    params: ${params}
checks: [${checks.join(", ")}]
`,
  );
}

/** Schedules per CPU count, so that 2, 3 and 4 vCPUs together get at least 1000. */
export const RUNS_PER_CPU_COUNT = 334;
