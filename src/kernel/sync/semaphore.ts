// semaphore (core/semaphore.cc, include/osv/semaphore.hh, osv-internals.md §3.6): a lockfree::mutex
// guarding a value and a FIFO of wait records {thread, units}. post(n) adds n and walks the waiters
// in order, granting every one whose units fit in what is left — in the waker: the woken thread
// finds its units already taken for it — so a later small request can be served before an earlier
// large one (not strictly FIFO). wait(n, deadline) takes the fast path when the value suffices,
// else queues its record and waits until granted or timed out; a timed-out waiter removes its
// record (fix 506eb73b). Variant "semaphore-timeout-leaves-record" puts that bug back: the record
// (on the dead waiter's stack in OSv) stays queued, so a later post grants units to a thread that
// stopped waiting and the units are lost. The semaphore keeps an account of where every unit is
// (value, granted to live waiters, handed to callers) so a check can catch that.
// Deliberate differences: OSv waits with wait_until(_mtx, pred), checking the predicate with the
// mutex held; here the waiter releases the mutex, waits through WaitPort on its record's `owner`
// cell, and takes the mutex again before deciding — so post clears `owner` before it wakes the
// thread (OSv wakes first: its waiter cannot look before post unlocks). A record is a fresh object
// per wait, as OSv's stack record is; its `live` flag says whether its wait is still running.

import { type Cell, type Guest, load, type Simulation, store } from "../../sim/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import { LockfreeMutex } from "./mutex.js";

export type SemaphoreVariant = "correct" | "semaphore-timeout-leaves-record";

export const SEMAPHORE_VARIANTS: readonly SemaphoreVariant[] = ["correct", "semaphore-timeout-leaves-record"];

export interface SemaphoreOptions {
  variant?: SemaphoreVariant;
  /** Most records queued at once (default 1024). */
  limit?: number;
}

/** semaphore::wait_record: who waits, for how many units; `owner` is cleared when granted. */
export class SemaphoreRecord {
  /** The waiting thread's id until post grants the units, then 0. */
  readonly owner: Cell;
  /** Whether the wait that queued this record is still running (OSv: its stack frame exists). */
  live = true;

  constructor(
    sim: Simulation,
    readonly thread: KernelThread,
    readonly units: number,
    name: string,
  ) {
    this.owner = sim.memory.cell(name, thread.id);
  }
}

/** Where the units are; every field changes under the semaphore's mutex (plain JS). */
export interface SemaphoreAccount {
  /** Units put in at construction and by every post. */
  posted: number;
  /** Units handed to callers whose wait returned true (fast path or granted). */
  acquired: number;
  /** Units granted to records whose wait has not returned yet. */
  grantedToLiveWaiters: number;
  /** Units granted to records whose wait had already returned: lost (the 506eb73b bug). */
  grantedToDeadRecords: number;
}

export class Semaphore {
  readonly mutex: LockfreeMutex;
  readonly variant: SemaphoreVariant;
  /** _val; guarded by `mutex`. */
  private val: number;
  /** _waiters, oldest first; guarded by `mutex`. */
  private readonly waiters: SemaphoreRecord[] = [];
  readonly account: SemaphoreAccount;
  readonly stats = { fastWaits: 0, grantedWaits: 0, timeouts: 0, tryWaitsFailed: 0, outOfOrderGrants: 0 };
  private readonly limit: number;
  private records = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
    readonly name: string,
    initial: number,
    options: SemaphoreOptions = {},
  ) {
    if (!Number.isSafeInteger(initial) || initial < 0)
      throw new RangeError(`${name}: bad initial value ${initial}`);
    this.variant = options.variant ?? "correct";
    this.limit = options.limit ?? 1024;
    this.mutex = new LockfreeMutex(sim, port, `${name}._mtx`);
    this.val = initial;
    this.account = { posted: initial, acquired: 0, grantedToLiveWaiters: 0, grantedToDeadRecords: 0 };
  }

  /** The value (a peek for checks; the model reads it only under the mutex). */
  get value(): number {
    return this.val;
  }

  /** The queued records, oldest first (a peek for checks and tests). */
  get queued(): readonly SemaphoreRecord[] {
    return this.waiters;
  }

  /**
   * Units not where the account says they should be: posted − acquired − granted to live waiters −
   * value. 0 when every unit is accounted for; positive when units went to dead records.
   */
  get unitsMissing(): number {
    const a = this.account;
    return a.posted - a.acquired - a.grantedToLiveWaiters - this.val;
  }

  /** post(units): add, then grant to every waiter, in order, whose units fit. */
  *post(units: number): Guest<void> {
    this.checkUnits(units);
    yield* this.mutex.lock();
    this.val += units;
    this.account.posted += units;
    let skipped = false;
    for (let i = 0; this.val > 0 && i < this.waiters.length; ) {
      const record = this.waiters[i]!;
      if (record.units > this.val) {
        skipped = true;
        i++;
        continue;
      }
      this.val -= record.units;
      this.waiters.splice(i, 1);
      if (skipped) this.stats.outOfOrderGrants++;
      if (record.live) this.account.grantedToLiveWaiters += record.units;
      else this.account.grantedToDeadRecords += record.units;
      yield store(record.owner, 0);
      yield* this.port.wake(record.thread);
    }
    yield* this.mutex.unlock();
  }

  /** wait(units[, deadline]): true once the units are ours, false on timeout. */
  *wait(units: number, deadlineNs?: number): Guest<boolean> {
    this.checkUnits(units);
    const me = this.port.current();
    yield* this.mutex.lock();
    if (this.val >= units) {
      this.val -= units;
      this.account.acquired += units;
      this.stats.fastWaits++;
      yield* this.mutex.unlock();
      return true;
    }
    this.sim.assert(
      this.waiters.length < this.limit,
      "semaphore-limit",
      () => `${this.name}: too many waiters`,
    );
    const record = new SemaphoreRecord(this.sim, me, units, `${this.name}.wait_record.${++this.records}`);
    this.waiters.push(record);
    let timedOut = false;
    for (let rounds = 0; ; rounds++) {
      this.sim.assert(rounds < 100_000, "semaphore-wait-rounds", () => `${me.name}: semaphore wait looped`);
      // The predicate, with the mutex held: granted, or the timer expired.
      if ((yield load(record.owner)) === 0) break;
      if (timedOut) break;
      yield* this.mutex.unlock();
      const owner = record.owner;
      const granted = function* (): Guest<boolean> {
        return (yield load(owner)) === 0;
      };
      if (deadlineNs === undefined) yield* this.port.waitUntil(granted);
      else if (!(yield* this.port.waitUntilDeadline(granted, deadlineNs))) timedOut = true;
      yield* this.mutex.lock();
    }
    const ok = (yield load(record.owner)) === 0;
    if (ok) {
      this.account.grantedToLiveWaiters -= units;
      this.account.acquired += units;
      this.stats.grantedWaits++;
    } else {
      this.stats.timeouts++;
      // Not granted, and we hold the mutex, so post cannot race us: take our record out (506eb73b).
      if (this.variant !== "semaphore-timeout-leaves-record") {
        const index = this.waiters.indexOf(record);
        this.sim.assert(index >= 0, "semaphore-record", () => `${me.name}: timed-out record not queued`);
        this.waiters.splice(index, 1);
      }
    }
    record.live = false; // the wait returns: in OSv its stack record is gone
    yield* this.mutex.unlock();
    return ok;
  }

  /** trywait(units): take the units only if they are there now (after 6b459dd9: value >= units). */
  *tryWait(units: number): Guest<boolean> {
    this.checkUnits(units);
    yield* this.mutex.lock();
    const ok = this.val >= units;
    if (ok) {
      this.val -= units;
      this.account.acquired += units;
    } else {
      this.stats.tryWaitsFailed++;
    }
    yield* this.mutex.unlock();
    return ok;
  }

  private checkUnits(units: number): void {
    if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`${this.name}: bad units ${units}`);
  }
}
