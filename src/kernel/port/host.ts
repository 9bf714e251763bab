// Where a workload's guest threads run: engine processes (each on its own notional CPU, waiting and
// waking through ProcessWaitPort) or OSv threads on the scheduler model (the Kernel is their
// WaitPort). Synchronization workloads are written once against this seam, so the same program runs
// on either and, on OSv, on 1, 2 or 4 simulated CPUs with preemption, IPIs and the real wait/wake.

import type { Guest, Simulation } from "../../sim/index.js";
import { type KernelThread, ProcessWaitPort, type WaitPort } from "./wait.js";

export interface ThreadHost {
  readonly port: WaitPort;
  /** Starts `body` as a thread; `slot` is its index within the workload (it decides the CPU on OSv). */
  spawn(name: string, body: () => Guest<unknown>, slot: number): KernelThread;
}

/** Engine processes adopted into one ProcessWaitPort. */
export class ProcessHost implements ThreadHost {
  readonly port: ProcessWaitPort;

  constructor(private readonly sim: Simulation) {
    this.port = new ProcessWaitPort(sim);
  }

  spawn(name: string, body: () => Guest<unknown>): KernelThread {
    return this.port.adopt(this.sim.spawn(name, body));
  }
}
