// One CPU's rcu_defer_queue (core/rcu.cc; osv-internals.md §4): two arrays of callbacks of a fixed
// capacity (CONF_core_rcu_defer_queue_size, 2000 by default) and the index of the active one, plus
// percpu_waiting_defers, the deferrers that found the active buffer full. Producers append to the
// active buffer; the CPU's rcu thread swaps the buffers, waits for a grace period and then runs and
// clears the inactive one. Plain JS: OSv touches it only from its own CPU with preemption disabled
// (the rcu thread runs its inactive buffer without the lock, but nothing else touches that buffer).

import type { Guest } from "../../sim/index.js";
import type { WaitRecord } from "../sync/index.js";

/** OSv's CONF_core_rcu_defer_queue_size default (minimal microVM configurations use 20). */
export const RCU_DEFER_QUEUE_SIZE = 2000;

/** A deferred callback and what the checks need to judge when it runs. */
export interface RcuCallback {
  /** Unique per RCU service, from 1. */
  readonly id: number;
  /** What it is for (dispose, synchronize, flush, …), for messages. */
  readonly label: string;
  /** The CPU whose queue took it. */
  readonly cpu: number;
  readonly deferredNs: number;
  /** Each CPU's quiescent-state count when it was deferred (RcuChecker). */
  readonly quiescentAtDefer: readonly number[];
  readonly run: () => Guest<void>;
  ran: boolean;
}

export class RcuDeferQueue {
  /** `buf`: which of the two buffers producers fill. */
  private active = 0;
  private readonly buffers: [RcuCallback[], RcuCallback[]] = [[], []];
  /** percpu_waiting_defers: wait records of deferrers blocked on a full active buffer. */
  private waiters: WaitRecord[] = [];

  constructor(
    readonly cpu: number,
    readonly capacity: number = RCU_DEFER_QUEUE_SIZE,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`rcu defer queue capacity must be a positive integer, got ${capacity}`);
  }

  get activeIndex(): number {
    return this.active;
  }

  /** ncallbacks[buf]. */
  get activeCount(): number {
    return this.buffers[this.active]!.length;
  }

  /** ncallbacks[!buf]. */
  get inactiveCount(): number {
    return this.buffers[1 - this.active]!.length;
  }

  get full(): boolean {
    return this.activeCount >= this.capacity;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Appends to the active buffer; the caller has checked it is not full. */
  push(callback: RcuCallback): void {
    if (this.full) throw new Error(`cpu${this.cpu}: rcu defer queue full (${this.capacity})`);
    this.buffers[this.active]!.push(callback);
  }

  addWaiter(record: WaitRecord): void {
    this.waiters.push(record);
  }

  /**
   * Swaps the buffers (producers now fill the other one) and hands back the waiting deferrers to
   * wake. Only while the inactive buffer is empty: its callbacks ran before the previous swap.
   */
  swap(): WaitRecord[] {
    if (this.inactiveCount !== 0)
      throw new Error(
        `cpu${this.cpu}: rcu buffers swapped while ${this.inactiveCount} callbacks wait to run`,
      );
    this.active = 1 - this.active;
    const waiters = this.waiters;
    this.waiters = [];
    return waiters;
  }

  /** The inactive buffer's callbacks, in the order they were deferred (the rcu thread runs them). */
  inactive(): readonly RcuCallback[] {
    return this.buffers[1 - this.active]!;
  }

  /** Clears the inactive buffer after its callbacks ran. */
  clearInactive(): void {
    this.buffers[1 - this.active]!.length = 0;
  }
}
