// vCPU and APIC benchmark: IPIs passed around a ring of halted vCPUs (2 CPUs = ping-pong). Each
// arrival wakes the target from sti;hlt, runs its handler (EOI, send the next IPI) and iret, so one
// IPI exercises the send effect, the latency choice, the timed delivery, hlt wake-up and interrupt
// entry/exit. Measures `hw.ipi.per_sec`: IPIs sent and handled per wall-clock second.

import { buildMachine, CpuContext, sendIpi, stiHlt } from "../../src/hw/index.js";
import { type Guest, type RunResult, Simulation } from "../../src/sim/index.js";

export interface IpiRingOptions {
  cpus: number;
  ipis: number;
  seed: number;
}

const VECTOR = 0xf1;

/** Runs the ring until `ipis` IPIs were handled; answers the run and the count. */
export function runIpiRing(options: IpiRingOptions): { result: RunResult; handled: number } {
  const sim = new Simulation({ seed: options.seed, keepChoiceLog: false });
  const machine = buildMachine(sim, {
    cpus: options.cpus,
    memoryBytes: 4096,
    interruptsEnabledAtStart: true,
  });
  let handled = 0;
  for (const cpu of machine.cpus) {
    const next = (cpu.index + 1) % options.cpus;
    const apic = machine.apics[cpu.index]!;
    cpu.setInterruptHandler(VECTOR, function* (): Guest<void> {
      apic.eoi();
      if (++handled < options.ipis) yield sendIpi(next, VECTOR);
    });
    cpu.boot(
      new CpuContext(
        `idle${cpu.index}`,
        (function* (): Guest<void> {
          if (cpu.index === 0) yield sendIpi(next, VECTOR);
          for (;;) yield stiHlt();
        })(),
      ),
    );
  }
  const result = sim.run();
  if (result.outcome !== "ok" || handled !== options.ipis)
    throw new Error(`IPI ring ended ${result.outcome} after ${handled} IPIs: ${result.reason}`);
  return { result, handled };
}

/** Median IPIs per wall second over `trials` runs of `ipis` IPIs (after one warm-up run). */
export function measureIpiPerSec(options: Partial<IpiRingOptions> & { trials?: number } = {}): number {
  const cpus = options.cpus ?? 2;
  const ipis = options.ipis ?? 200_000;
  const trials = options.trials ?? 5;
  runIpiRing({ cpus, ipis: Math.min(ipis, 20_000), seed: 1 });
  const rates: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const start = process.hrtime.bigint();
    const { handled } = runIpiRing({ cpus, ipis, seed: 100 + trial });
    rates.push(handled / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(trials / 2)]!);
}
