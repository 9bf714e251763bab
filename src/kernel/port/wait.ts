// The seam between synchronization primitives and the scheduler: what a primitive needs from the
// thread that runs it — who am I, wait until a predicate holds (OSv's wait_until, with status
// waiting set before the predicate is checked, so a concurrent wake is never lost), wake a thread,
// preemption control. Primitives (osv-internals.md §3) are written once against this port. The
// engine-only implementation below backs it with engine Block/Wake (a wake that comes first is kept
// as a permit); the scheduler model implements it with OSv's real wait/wake protocol (§2.7).

import { block, type Guest, type Process, type Runner, type Simulation, wake } from "../../sim/index.js";

/** A thread as primitives see it: an identity to store in cells (`id` >= 1, 0 means none). */
export interface KernelThread {
  readonly id: number;
  readonly name: string;
}

export interface WaitPort {
  /** The thread running the calling guest code. */
  current(): KernelThread;
  /** Waits until `predicate` (guest code: it may read shared cells) answers true. */
  waitUntil(predicate: () => Guest<boolean>): Guest<void>;
  /** Wakes `thread` if it waits; otherwise its next wait re-checks its predicate at once. */
  wake(thread: KernelThread): Guest<void>;
  preemptDisable(): Guest<void>;
  preemptEnable(): Guest<void>;
}

/** WaitPort for engine Processes (each thread on its own notional CPU; no preemption to control). */
export class ProcessWaitPort implements WaitPort {
  private readonly threads = new Map<number, Process>();

  constructor(private readonly sim: Simulation) {}

  /** Registers a process so it can be woken by id; its id is the runner id + 1. */
  adopt(process: Process): KernelThread {
    const thread = { id: process.id + 1, name: process.name };
    this.threads.set(thread.id, process);
    return thread;
  }

  current(): KernelThread {
    const runner: Runner | null = this.sim.currentRunner;
    if (runner === null) throw new Error("WaitPort.current() outside guest code");
    return { id: runner.id + 1, name: runner.name };
  }

  *waitUntil(predicate: () => Guest<boolean>): Guest<void> {
    while (!(yield* predicate())) yield block();
  }

  *wake(thread: KernelThread): Guest<void> {
    const process = this.threads.get(thread.id);
    if (process === undefined) throw new Error(`wake: thread ${thread.name} (${thread.id}) was not adopted`);
    yield wake(process);
  }

  *preemptDisable(): Guest<void> {}
  *preemptEnable(): Guest<void> {}
}
