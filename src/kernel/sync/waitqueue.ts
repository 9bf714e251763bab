// waitqueue (core/waitqueue.cc, include/osv/waitqueue.hh, osv-internals.md §3.5): a condvar without
// an internal lock — a FIFO (oldest/newest, linked through each wait_record's `next`) guarded by the
// caller's mutex, usable inside wait_for() as a wait_object: arm appends the thread's record, poll
// asks whether it was woken, disarm unlinks it unless a wake already took it. wake_one pops the
// oldest record and wake_lock()s it (wait morphing: the waiter wakes only when the waker releases
// the mutex, and already owns it); wake_all detaches the list and wake_lock()s each record in order.
// `waitFor` is sched::thread::wait_for(mtx, wq[, timer]) (§2.7). Variant "waitqueue-stale-tail"
// puts back OSv #1285 (fixed by 9c6a22d4): disarm also reset `newest` when the record after the
// removed one was the tail, so after arm A, arm B, disarm A the list has oldest B and newest null,
// and the next arm dereferenced null. Here a list-integrity check at every mutation (and, when that
// is off, an assertion in arm) reports it as a model violation. Deliberate differences: the links
// are plain JS (the caller's mutex guards them, as in OSv); a thread's record and wait_object are
// reused across its waits (OSv builds them on the stack); wait_for polls the record with the
// mutex held before releasing it, and then waits through WaitPort, whose predicate is checked
// again after status waiting is set — a wake_lock() landing between the release and that point
// finds the thread running, marks the record woken, and the thread takes the mutex itself rather
// than receiving it (OSv sets status waiting before its poll); a deadline already passed counts
// as an expired timer.

import type { Guest, Simulation } from "../../sim/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import type { LockfreeMutex } from "./mutex.js";
import { WaitRecord } from "./wait-record.js";

export type WaitqueueVariant = "correct" | "waitqueue-stale-tail";

export const WAITQUEUE_VARIANTS: readonly WaitqueueVariant[] = ["correct", "waitqueue-stale-tail"];

export interface WaitqueueOptions {
  variant?: WaitqueueVariant;
  /** Check the list's shape after every change (default true); off, only arm's null check remains. */
  checkIntegrity?: boolean;
  /** Most records queued at once (default 1024). */
  limit?: number;
}

/** sched::wait_object<waitqueue>: one thread's record and its link in the queue's FIFO. */
export class WaitObject {
  /** wait_record::next; guarded by the caller's mutex. */
  next: WaitObject | null = null;

  constructor(
    readonly queue: Waitqueue,
    readonly record: WaitRecord,
  ) {}

  get thread(): KernelThread {
    return this.record.owner;
  }

  /** poll(): woken by a wake_one / wake_all. */
  *poll(): Guest<boolean> {
    return yield* this.record.woken();
  }
}

export class Waitqueue {
  /** _waiters_fifo.oldest / .newest; guarded by the caller's mutex, so plain JS. */
  oldest: WaitObject | null = null;
  newest: WaitObject | null = null;
  readonly variant: WaitqueueVariant;
  readonly stats = { arms: 0, disarmsUnlinked: 0, wakesDelivered: 0, woken: 0, timeouts: 0 };
  private readonly checkIntegrity: boolean;
  private readonly limit: number;
  private readonly objects = new Map<number, WaitObject>();

  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
    readonly name: string,
    options: WaitqueueOptions = {},
  ) {
    this.variant = options.variant ?? "correct";
    this.checkIntegrity = options.checkIntegrity ?? true;
    this.limit = options.limit ?? 1024;
  }

  /** The calling thread's wait_object on this queue (a fresh record in OSv; reused here). */
  waitObject(thread: KernelThread = this.port.current()): WaitObject {
    let object = this.objects.get(thread.id);
    if (object === undefined) {
      object = new WaitObject(
        this,
        new WaitRecord(this.sim, thread, `${this.name}.wait_record.${thread.name}`),
      );
      this.objects.set(thread.id, object);
    }
    return object;
  }

  /** empty(): no record queued (the caller holds the mutex). */
  get empty(): boolean {
    return this.oldest === null;
  }

  /** The queued threads, oldest first (for checks and tests; bounded by the limit). */
  list(): WaitObject[] {
    const out: WaitObject[] = [];
    for (let at = this.oldest; at !== null && out.length <= this.limit; at = at.next) out.push(at);
    return out;
  }

  /** wait_object<waitqueue>::arm(): append (the caller holds the mutex). */
  arm(object: WaitObject): void {
    this.stats.arms++;
    object.next = null;
    if (this.oldest === null) {
      this.oldest = object;
    } else {
      // OSv dereferences `newest` here: with #1285's stale tail it is null (a page fault).
      this.sim.assert(
        this.newest !== null,
        "waitqueue-null-deref",
        () =>
          `${this.name}: arm by ${object.thread.name} dereferences a null newest (oldest is ${this.oldest!.thread.name})`,
      );
      this.newest!.next = object;
    }
    this.newest = object;
    this.verify(`arm by ${object.thread.name}`);
  }

  /** wait_object<waitqueue>::disarm(): unlink unless already woken (the caller holds the mutex). */
  *disarm(object: WaitObject): Guest<void> {
    if (yield* object.poll()) return;
    let previous: WaitObject | null = null;
    let at = this.oldest;
    for (let steps = 0; at !== null; steps++) {
      this.sim.assert(
        steps <= this.limit,
        "waitqueue-list",
        () => `${this.name}: list longer than ${this.limit}`,
      );
      if (at === object) {
        const after = object.next;
        if (previous === null) this.oldest = after;
        else previous.next = after;
        // The fix (9c6a22d4): only removing the tail moves `newest`. Before it, removing the record
        // just before the tail moved it too — to the removed record's predecessor.
        const staleTail = this.variant === "waitqueue-stale-tail" && after !== null && after.next === null;
        if (after === null || staleTail) this.newest = previous;
        object.next = null;
        this.stats.disarmsUnlinked++;
        break;
      }
      previous = at;
      at = at.next;
    }
    this.verify(`disarm by ${object.thread.name}`);
  }

  /** wake_one(mtx): pop the oldest and morph its wake into `mutex` (the caller holds it). */
  *wakeOne(mutex: LockfreeMutex): Guest<void> {
    const object = this.oldest;
    if (object === null) return;
    this.oldest = object.next;
    if (object.next === null) this.newest = null;
    object.next = null;
    this.verify("wake_one");
    this.stats.wakesDelivered++;
    yield* object.record.wakeLock(this.port, mutex);
  }

  /** wake_all(mtx): detach the whole list and morph each wake into `mutex`, oldest first. */
  *wakeAll(mutex: LockfreeMutex): Guest<void> {
    let object = this.oldest;
    this.oldest = null;
    this.newest = null;
    for (let n = 0; object !== null; n++) {
      this.sim.assert(
        n <= this.limit,
        "waitqueue-list",
        () => `${this.name}: list longer than ${this.limit}`,
      );
      const next: WaitObject | null = object.next; // saved: the record is the waiter's after the wake
      object.next = null;
      this.stats.wakesDelivered++;
      yield* object.record.wakeLock(this.port, mutex);
      object = next;
    }
  }

  /** The FIFO's shape: empty both ways, or a chain from oldest that ends exactly at newest. */
  private verify(after: string): void {
    if (!this.checkIntegrity) return;
    const fail = (problem: string) =>
      this.sim.fail("waitqueue-list", `${this.name} after ${after}: ${problem}`);
    if (this.oldest === null) {
      if (this.newest !== null) fail(`oldest is null but newest is ${this.newest.thread.name}`);
      return;
    }
    if (this.newest === null) fail(`oldest is ${this.oldest.thread.name} but newest is null`);
    let last = this.oldest;
    for (let n = 0; last.next !== null; n++) {
      if (n >= this.limit) fail(`more than ${this.limit} records, or a cycle`);
      last = last.next;
    }
    if (last !== this.newest)
      fail(`the chain from oldest ends at ${last.thread.name} but newest is ${this.newest!.thread.name}`);
  }
}

/**
 * sched::thread::wait_for(mtx, wq[, timer]): the caller holds `mutex`; returns holding it. Answers
 * true when a wake_one / wake_all reached this thread, false when the deadline passed first.
 */
export function* waitFor(
  sim: Simulation,
  port: WaitPort,
  mutex: LockfreeMutex,
  queue: Waitqueue,
  deadlineNs?: number,
): Guest<boolean> {
  // The first poll: a deadline already passed is an expired timer, and nothing is armed.
  if (deadlineNs !== undefined && (yield* port.clockNow()) >= deadlineNs) {
    queue.stats.timeouts++;
    return false;
  }
  const object = queue.waitObject(port.current());
  yield* object.record.arm();
  queue.arm(object);
  let timedOut = false;
  for (let rounds = 0; ; rounds++) {
    sim.assert(rounds < 100_000, "waitqueue-wait-rounds", () => `${object.thread.name}: wait_for looped`);
    if (yield* object.poll()) break;
    if (timedOut) break;
    yield* mutex.unlock();
    if (deadlineNs === undefined) yield* object.record.wait(port);
    else if (!(yield* object.record.waitUntil(port, deadlineNs))) timedOut = true;
    // wait morphing: a wake_lock() that sent us the mutex made us its owner already.
    if (port.takeLockSent()) yield* mutex.receiveLock();
    else yield* mutex.lock();
  }
  yield* queue.disarm(object);
  const woken = yield* object.poll();
  if (woken) queue.stats.woken++;
  else queue.stats.timeouts++;
  return woken;
}
