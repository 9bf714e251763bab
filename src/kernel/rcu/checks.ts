// What the RCU model (core/rcu.cc, include/osv/rcu.hh) asserts while it runs (osv-internals.md §4,
// "Invariants to test"). A quiescent state of a CPU is a moment at which no read-side section can
// be open on it: any context switch on that CPU (a reader runs with preemption disabled and must
// not sleep, so it is never the thread switched out — asserted here), or its rcuN thread recording
// a generation (rcuN is running, so no other thread of that CPU is inside a section). The first is
// what §4's invariant names; the second is what OSv's grace period actually relies on: an rcu
// thread that was already running when the callback was deferred serves a request without a new
// switch (counting switches only, the correct model fails this check on 36 of 100 seeds of
// scenarios/sync/rcu-readers-4cpu.yaml: §4's wording is stronger than the algorithm). Per CPU a
// counter of quiescent states; a callback snapshots the counters when it is deferred and may run
// only once every CPU's counter has moved past its snapshot ("rcu-safety"). Plain JS, no effects:
// observing changes no run.

import type { Simulation } from "../../sim/index.js";
import type { RcuCallback } from "./defer-queue.js";

/** Which checks assert (a scenario may leave some out, e.g. to see what the others catch). */
export interface RcuChecks {
  /** A callback runs only after every CPU has passed a quiescent state since it was deferred. */
  safety: boolean;
  /** No callback runs twice. */
  once: boolean;
  /** No reader dereferences a disposed object. */
  useAfterFree: boolean;
}

export const ALL_RCU_CHECKS: Readonly<RcuChecks> = Object.freeze({
  safety: true,
  once: true,
  useAfterFree: true,
});

export class RcuChecker {
  private readonly quiescent: number[];
  /** Each thread's read-side nesting (by thread id): a reader cannot migrate, so this is per CPU too. */
  private readonly nesting = new Map<number, number>();

  constructor(
    private readonly sim: Simulation,
    cpuCount: number,
    readonly checks: Readonly<RcuChecks>,
  ) {
    this.quiescent = new Array<number>(cpuCount).fill(0);
  }

  /** CPU `cpu` is, at this instant, outside any read-side section. */
  quiescentState(cpu: number): void {
    this.quiescent[cpu]!++;
  }

  quiescentCount(cpu: number): number {
    return this.quiescent[cpu]!;
  }

  snapshot(): number[] {
    return this.quiescent.slice();
  }

  enterRead(threadId: number): void {
    this.nesting.set(threadId, (this.nesting.get(threadId) ?? 0) + 1);
  }

  exitRead(threadId: number, threadName: string): void {
    const depth = this.nesting.get(threadId) ?? 0;
    this.sim.assert(depth > 0, "rcu.read-unlock", `${threadName}: rcu_read_unlock without rcu_read_lock`);
    if (depth === 1) this.nesting.delete(threadId);
    else this.nesting.set(threadId, depth - 1);
  }

  readDepth(threadId: number): number {
    return this.nesting.get(threadId) ?? 0;
  }

  /** A context switch on `cpu` away from the thread `fromId`. */
  switched(cpu: number, fromId: number, fromName: string): void {
    this.sim.assert(
      this.readDepth(fromId) === 0,
      "rcu.read-section-switch",
      () => `${fromName} was switched out on cpu${cpu} inside an RCU read-side section`,
    );
    this.quiescentState(cpu);
  }

  /** Called just before the rcu thread runs `callback`. */
  beforeRun(callback: RcuCallback, runningCpu: number): void {
    if (this.checks.once) {
      this.sim.assert(
        !callback.ran,
        "rcu-once",
        () => `callback #${callback.id} (${callback.label}) runs a second time on cpu${runningCpu}`,
      );
    }
    if (this.checks.safety) {
      for (let cpu = 0; cpu < this.quiescent.length; cpu++) {
        const before = callback.quiescentAtDefer[cpu]!;
        this.sim.assert(
          this.quiescent[cpu]! > before,
          "rcu-safety",
          () =>
            `callback #${callback.id} (${callback.label}) deferred on cpu${callback.cpu} at ${callback.deferredNs} ns runs at ${this.sim.now} ns, but cpu${cpu} has passed no quiescent state since`,
        );
      }
    }
    callback.ran = true;
  }
}
