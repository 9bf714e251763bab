// condvar (core/condvar.cc, osv-internals.md §3.4): an internal lockfree mutex guarding a FIFO of the
// waiters' wait_records, and wait morphing — wake_one/wake_all do not wake a waiter outright but
// send_lock() the user mutex on its behalf, so it wakes already owning the mutex (receive_lock). No
// spurious wakeups: wait returns 0 only after a wake dequeued its record. The timed wait follows
// condvar::wait(user_mutex, timer): on timeout it takes `_m` and unlinks its record; if a wake had
// already dequeued it (wake_one, or wake_all detaching the whole list), the answer is 0 after all
// and it waits, unconditionally, for that wake to finish with the record; it then receive_lock()s if
// woken (the mutex was morphed to it) and lock()s otherwise; it answers 0 or ETIMEDOUT. Written
// against WaitPort. Deliberate differences: wake_all sends the locks in FIFO order (OSv groups the
// waiters by CPU, an optimization); the FIFO is an array (OSv: an intrusive list of stack records),
// and a thread's record is reused across its waits. As in OSv, a timed-out last waiter leaves
// `_user_mutex` set (only a wake clears it). Variant "timeout-skips-dequeued-wait" is a plausible
// mistake: a timeout that finds its record already dequeued answers ETIMEDOUT and goes on without
// waiting for the wake, so the mutex the waker sends it arrives at a thread that locks it itself.

import { type Cell, type Guest, load, type Simulation, store } from "../../sim/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import { LockfreeMutex } from "./mutex.js";
import { WaitRecord } from "./wait-record.js";

export type CondvarVariant = "correct" | "timeout-skips-dequeued-wait";

export const CONDVAR_VARIANTS: readonly CondvarVariant[] = ["correct", "timeout-skips-dequeued-wait"];

/** errno ETIMEDOUT, what a timed-out condvar wait answers (as OSv's condvar_wait does). */
export const ETIMEDOUT = 110;

export class Condvar {
  /** The internal mutex (_m) that guards the waiter list and the user mutex. */
  private readonly m: LockfreeMutex;
  /** The FIFO of waiting records; guarded by `m`, so plain JS. */
  private readonly waiters: WaitRecord[] = [];
  /** How many wait, mirrored in a cell: wake's fast path reads it without taking `m`, as OSv does. */
  readonly waiterCount: Cell;
  /** The mutex every concurrent waiter must use (asserted); guarded by `m`. */
  private userMutex: LockfreeMutex | null = null;
  private readonly records = new Map<number, WaitRecord>();
  /** waits: returns with 0 (woken); timeouts: returns with ETIMEDOUT; raced: timeouts that found a wake. */
  readonly stats = { waits: 0, wakesDelivered: 0, timeouts: 0, raced: 0 };

  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
    readonly name: string,
    private readonly limit = 4096,
    readonly variant: CondvarVariant = "correct",
  ) {
    this.m = new LockfreeMutex(sim, port, `${name}._m`);
    this.waiterCount = sim.memory.cell(`${name}.waiters`);
  }

  private record(me: KernelThread): WaitRecord {
    let record = this.records.get(me.id);
    if (record === undefined) {
      record = new WaitRecord(this.sim, me, `${this.name}.wait_record.${me.name}`);
      this.records.set(me.id, record);
    }
    return record;
  }

  /**
   * Waits for a wake, or until `deadlineNs` when given; the caller holds `user` before and after.
   * Answers 0 when woken, ETIMEDOUT on timeout.
   */
  *wait(user: LockfreeMutex, deadlineNs?: number): Guest<number> {
    const me = this.port.current();
    const record = this.record(me);
    yield* record.arm();
    yield* this.m.lock();
    this.sim.assert(
      this.waiters.length < this.limit,
      "condvar-limit",
      () => `${this.name}: too many waiters`,
    );
    this.sim.assert(
      !this.waiters.includes(record),
      "condvar-record",
      () => `${me.name} waits twice on ${this.name}`,
    );
    this.sim.assert(
      this.userMutex === null || this.userMutex === user,
      "condvar-user-mutex",
      () => `${this.name} used with two mutexes at once`,
    );
    this.userMutex = user;
    this.waiters.push(record);
    yield store(this.waiterCount, this.waiters.length);
    yield* this.port.preemptDisable();
    yield* user.unlock();
    yield* this.m.unlock();
    yield* this.port.preemptEnable();
    let result = 0;
    if (deadlineNs === undefined) yield* record.wait(this.port);
    else if (!(yield* record.waitUntil(this.port, deadlineNs)) && !(yield* record.woken()))
      result = yield* this.unlinkAfterTimeout(record);
    if (yield* record.woken()) {
      this.stats.waits++;
      // The waker sent us the user mutex (wait morphing): it is ours already.
      yield* user.receiveLock();
    } else {
      this.stats.timeouts++;
      yield* user.lock();
    }
    return result;
  }

  /**
   * After a timeout: unlink our record under `_m`. If it is gone, a wake took it and will wake us:
   * the wait succeeded after all, and we must not return before that wake is done with the record.
   */
  private *unlinkAfterTimeout(record: WaitRecord): Guest<number> {
    yield* this.m.lock();
    const index = this.waiters.indexOf(record);
    if (index >= 0) {
      this.waiters.splice(index, 1);
      yield store(this.waiterCount, this.waiters.length);
    }
    yield* this.m.unlock();
    if (index >= 0) return ETIMEDOUT;
    this.stats.raced++;
    if (this.variant === "timeout-skips-dequeued-wait") return ETIMEDOUT;
    yield* record.wait(this.port);
    return 0;
  }

  /** Wakes the oldest waiter, which returns owning the user mutex. */
  *wakeOne(): Guest<void> {
    if ((yield load(this.waiterCount)) === 0) return;
    yield* this.m.lock();
    const record = this.waiters.shift();
    yield store(this.waiterCount, this.waiters.length);
    const user = this.userMutex;
    if (this.waiters.length === 0) this.userMutex = null;
    if (record !== undefined) {
      this.stats.wakesDelivered++;
      yield* user!.sendLock(record);
    }
    yield* this.m.unlock();
  }

  /** Wakes every waiter; they return one by one, each owning the user mutex in turn. */
  *wakeAll(): Guest<void> {
    if ((yield load(this.waiterCount)) === 0) return;
    yield* this.m.lock();
    const records = this.waiters.splice(0, this.waiters.length);
    yield store(this.waiterCount, 0);
    const user = this.userMutex;
    this.userMutex = null;
    yield* this.m.unlock();
    for (const record of records) {
      this.stats.wakesDelivered++;
      yield* user!.sendLock(record);
    }
  }
}
