// wait_record / waiter (include/osv/wait_record.hh, osv-internals.md §3.3): a single-use event
// holding the waiting thread's id in a shared cell. wake() clears the cell, then wakes the thread
// (wake_with_from_mutex: a thread in sending_lock is woken too); wait() waits until the cell reads
// 0, so a wake that comes first is never lost; the timed wait (OSv's wait(sched::timer*)) also
// returns when the deadline passes — a timeout does not mark the record woken. wake_lock() (§2.7)
// morphs the wake into a send_lock of the waker's mutex. Written against WaitPort, so the
// scheduler model runs it unchanged. Deliberate difference: OSv's `next` link is not here; each
// list that queues records (condvar, waitqueue, semaphore) keeps its own links.

import { type Cell, type Guest, load, loadEquals, type Simulation, store } from "../../sim/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import type { LockfreeMutex } from "./mutex.js";

export class WaitRecord {
  /** The waiting thread's id; 0 once woken. */
  readonly thread: Cell;

  constructor(
    private readonly sim: Simulation,
    /** The thread that waits (plain JS: fixed for the record's life, like OSv's captured pointer). */
    readonly owner: KernelThread,
    name = `wait_record.${owner.name}`,
  ) {
    this.thread = sim.memory.cell(name, owner.id);
  }

  /** Re-arms the record for another wait by its owner (a fresh stack record in OSv). */
  *arm(): Guest<void> {
    yield store(this.thread, this.owner.id);
  }

  /** Marks the record woken and wakes its thread (OSv: wake_with_from_mutex). */
  *wake(port: WaitPort): Guest<void> {
    const id = yield load(this.thread);
    this.sim.assert(id !== 0, "wait-record-single-wake", () => `${this.owner.name}'s record woken twice`);
    this.sim.assert(id === this.owner.id, "wait-record-thread", () => `record holds thread ${id}`);
    yield store(this.thread, 0);
    yield* port.wakeFromMutex(this.owner);
  }

  /** Waits until woken; returns at once if that already happened. */
  *wait(port: WaitPort): Guest<void> {
    const thread = this.thread;
    yield* port.waitUntil(() => loadEquals(thread, 0));
  }

  /**
   * Waits until woken or until `deadlineNs` (OSv: wait(tmr), predicate `tmr->expired() || woken()`).
   * Answers false on timeout; the caller asks woken() again, since a wake may race the timer.
   */
  *waitUntil(port: WaitPort, deadlineNs: number): Guest<boolean> {
    const thread = this.thread;
    return yield* port.waitUntilDeadline(() => loadEquals(thread, 0), deadlineNs);
  }

  *woken(): Guest<boolean> {
    return (yield load(this.thread)) === 0;
  }

  /** Marks the record woken without waking the thread (only under an external lock). */
  *clear(): Guest<void> {
    yield store(this.thread, 0);
  }

  /**
   * wake_lock (thread::wake_lock; the caller holds `mutex`): if the thread waits, hand it `mutex`
   * instead of waking it (it wakes when the mutex is released to it, with lock_sent set); if it is
   * not waiting, or already waits on `mutex` itself, just mark the record woken.
   */
  *wakeLock(port: WaitPort, mutex: LockfreeMutex): Guest<void> {
    const sent = yield* port.wakeLock(this.owner, () => mutex.sendLockUnlessAlreadyWaiting(this));
    if (!sent) yield* this.clear();
  }
}
