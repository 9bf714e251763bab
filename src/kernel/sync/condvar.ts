// condvar (core/condvar.cc, osv-internals.md §3.4): an internal lockfree mutex guarding a FIFO of the
// waiters' wait_records, and wait morphing — wake_one/wake_all do not wake a waiter outright but
// send_lock() the user mutex on its behalf, so it wakes already owning the mutex (receive_lock). No
// spurious wakeups: wait returns only after a wake dequeued its record. Written against WaitPort.
// Simplified for now: no timed wait; wake_all sends the locks in FIFO order (OSv groups them by CPU).

import { type Cell, type Guest, load, type Simulation, store } from "../../sim/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import { LockfreeMutex } from "./mutex.js";
import { WaitRecord } from "./wait-record.js";

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
  readonly stats = { waits: 0, wakesDelivered: 0 };

  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
    readonly name: string,
    private readonly limit = 4096,
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

  /** Waits for a wake; the caller holds `user` before and after. */
  *wait(user: LockfreeMutex): Guest<void> {
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
    yield* record.wait(this.port);
    this.stats.waits++;
    // The waker sent us the user mutex (wait morphing): it is ours already.
    yield* user.receiveLock();
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
