// lockfree::mutex (include/lockfree/mutex.hh, core/lfmutex.cc; osv-internals.md §3.1): `count` of
// threads holding or trying to take the lock, `owner`, recursion `depth`, an MPSC waitqueue of
// wait_records, and the responsibility hand-off: an unlocker that finds a contender not yet queued
// publishes a `handoff` token (from `sequence`) that the late locker (or try_lock) takes. Every
// atomic step is one effect; `depth` is plain JS because only the owner touches it. Deliberate
// differences: `sequence` (a plain word in OSv) is a cell; OSv's assertions that read memory (owner
// in unlock, which OSv keeps in release builds; our record un-woken in lock's hand-off) are real
// loads; a thread's wait_record is reused across its lock() calls (re-armed by a store) instead of
// living on its stack. Two variants put back plausible mistakes so the suite proves the search
// catches them.

import { type Cell, cas, fetchAdd, type Guest, load, type Simulation, store } from "../../sim/index.js";
import { QueueMpsc } from "../lockfree/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import { WaitRecord } from "./wait-record.js";

export type MutexVariant = "correct" | "unlock-forgets-handoff-publish" | "lock-skips-handoff-check";

export const MUTEX_VARIANTS: readonly MutexVariant[] = [
  "correct",
  "unlock-forgets-handoff-publish",
  "lock-skips-handoff-check",
];

export interface MutexOptions {
  variant?: MutexVariant;
  /** Most wait_records queued at once (default 1024). */
  queueCapacity?: number;
  /**
   * What send_lock_unless_already_waiting does with its count increment when the thread is already
   * queued: "keep" it as osv-internals.md §3.1 describes OSv, or "undo" it (an experiment).
   */
  alreadyWaitingCount?: "keep" | "undo";
}

/** Observation counters (plain JS, no effects): how each acquisition and release went. */
export interface MutexStats {
  fastAcquires: number;
  recursiveAcquires: number;
  queuedAcquires: number;
  /** A locker (or send_lock) took the handoff token and became responsible. */
  handoffTakes: number;
  /** An unlock popped a waiter and transferred the lock to it. */
  directHandoffs: number;
  tokensPublished: number;
  /** unlock() took its own token back because a waiter queued meanwhile, and popped again. */
  tokensReclaimed: number;
  /** send_lock_unless_already_waiting found the thread queued (and kept its count increment). */
  alreadyWaiting: number;
}

/** Rounds of unlock's pop / publish-token loop before the run is declared stuck. */
export const MAX_HANDOFF_ROUNDS = 100_000;

export class LockfreeMutex {
  readonly count: Cell;
  readonly owner: Cell;
  readonly handoff: Cell;
  /** OSv's plain `sequence`; a cell so that overlapping unlockers would be visible to the search. */
  readonly sequence: Cell;
  readonly waitqueue: QueueMpsc<WaitRecord>;
  readonly variant: MutexVariant;
  readonly stats: MutexStats = {
    fastAcquires: 0,
    recursiveAcquires: 0,
    queuedAcquires: 0,
    handoffTakes: 0,
    directHandoffs: 0,
    tokensPublished: 0,
    tokensReclaimed: 0,
    alreadyWaiting: 0,
  };
  /** Recursion depth: owner-only in OSv, so plain JS. */
  private depth = 0;
  /** Each thread's wait_record for lock() (OSv builds one on the stack per contended lock()). */
  private readonly records = new Map<number, WaitRecord>();
  private readonly alreadyWaitingCount: "keep" | "undo";

  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
    readonly name: string,
    options: MutexOptions = {},
  ) {
    this.variant = options.variant ?? "correct";
    this.alreadyWaitingCount = options.alreadyWaitingCount ?? "keep";
    this.count = sim.memory.cell(`${name}.count`);
    this.owner = sim.memory.cell(`${name}.owner`);
    this.handoff = sim.memory.cell(`${name}.handoff`);
    this.sequence = sim.memory.cell(`${name}.sequence`);
    this.waitqueue = new QueueMpsc<WaitRecord>(sim, `${name}.waitqueue`, {
      capacity: options.queueCapacity ?? 1024,
    });
  }

  /** The mutex's own memory (not the waiters' wait_records): what freeing the mutex would free. */
  get cells(): Cell[] {
    return [
      this.count,
      this.owner,
      this.handoff,
      this.sequence,
      this.waitqueue.pushlist,
      this.waitqueue.poplist,
    ];
  }

  /** Current recursion depth (the owner's view; 0 when free). */
  get recursionDepth(): number {
    return this.depth;
  }

  *lock(): Guest<void> {
    const me = this.port.current();
    const old = yield fetchAdd(this.count, 1);
    this.sim.assert(old >= 0, "mutex-count", () => `${this.name}: count was ${old}`);
    if (old === 0) {
      this.stats.fastAcquires++;
      yield* this.take(me);
      return;
    }
    if ((yield load(this.owner)) === me.id) {
      // Recursive: the +1 above must not count this thread twice.
      yield fetchAdd(this.count, -1);
      this.depth++;
      this.stats.recursiveAcquires++;
      return;
    }
    const record = yield* this.recordFor(me);
    yield* this.waitqueue.push(record);
    this.stats.queuedAcquires++;
    if (this.variant !== "lock-skips-handoff-check" && (yield* this.respondToHandoff(record))) {
      yield* this.take(me);
      return;
    }
    this.port.noteWaitingFor?.(me, this);
    yield* record.wait(this.port);
    this.port.noteWaitingFor?.(me, null);
    yield* this.take(me);
  }

  /** HeldLock: the owner's id (host-side read, for deadlock reports). */
  holder(): number {
    return this.owner.value;
  }

  *unlock(): Guest<void> {
    const me = this.port.current();
    const owner = yield load(this.owner);
    this.sim.assert(
      owner === me.id,
      "mutex-owner",
      () => `${me.name} unlocks ${this.name} owned by ${owner}`,
    );
    this.sim.assert(this.depth > 0, "mutex-depth", () => `${this.name}: unlock at depth ${this.depth}`);
    if (--this.depth > 0) return;
    // The owner must be cleared before count drops, or a new owner's store could be undone.
    yield store(this.owner, 0);
    const old = yield fetchAdd(this.count, -1);
    this.sim.assert(old >= 1, "mutex-count", () => `${this.name}: unlock saw count ${old}`);
    if (old === 1) return;
    yield* this.handOver(me);
  }

  /** Takes the lock only if that needs no waiting: free, already ours, or a handoff token to take. */
  *tryLock(): Guest<boolean> {
    const me = this.port.current();
    if (yield* cas(this.count, 0, 1)) {
      this.stats.fastAcquires++;
      yield* this.take(me);
      return true;
    }
    if ((yield load(this.owner)) === me.id) {
      this.depth++;
      this.stats.recursiveAcquires++;
      return true;
    }
    const token = yield load(this.handoff);
    if (token !== 0 && (yield* cas(this.handoff, token, 0))) {
      this.stats.handoffTakes++;
      yield fetchAdd(this.count, 1);
      yield* this.take(me);
      return true;
    }
    return false;
  }

  /**
   * Wait morphing: takes the lock on behalf of `record`'s thread, which will own it when woken and
   * then calls receiveLock().
   */
  *sendLock(record: WaitRecord): Guest<void> {
    const old = yield fetchAdd(this.count, 1);
    if (old === 0) {
      yield* record.wake(this.port);
      return;
    }
    yield* this.waitqueue.push(record);
    if (!(yield* this.takeHandoffToken())) return;
    const next = yield* this.waitqueue.pop();
    this.sim.assert(next !== undefined, "mutex-handoff-pop", () => `${this.name}: token taken, queue empty`);
    yield* next!.wake(this.port);
  }

  /**
   * Like sendLock, by the mutex's owner, unless `record`'s thread is already queued on this mutex:
   * then answers false. As in OSv the count increment is then left in place (see MutexOptions).
   */
  *sendLockUnlessAlreadyWaiting(record: WaitRecord): Guest<boolean> {
    const me = this.port.current();
    const owner = yield load(this.owner);
    this.sim.assert(owner === me.id, "mutex-owner", () => `${me.name} sends ${this.name} without owning it`);
    const old = yield fetchAdd(this.count, 1);
    this.sim.assert(old >= 1, "mutex-count", () => `${this.name}: the owner saw count ${old}`);
    const thread = record.owner.id;
    if (!(yield* this.waitqueue.find((queued) => queued.owner.id === thread))) {
      yield* this.waitqueue.push(record);
      return true;
    }
    // The queued thread's own lock() already counted it, so old >= 2 (holder + that thread) must
    // hold; the increment just made counts nobody.
    this.sim.assert(old >= 2, "mutex-count", () => `${this.name}: ${record.owner.name} queued, count ${old}`);
    this.stats.alreadyWaiting++;
    if (this.alreadyWaitingCount === "undo") yield fetchAdd(this.count, -1);
    return false;
  }

  /** After a morphed wakeup the lock is already ours: record it. */
  *receiveLock(): Guest<void> {
    yield* this.take(this.port.current());
  }

  private *take(me: KernelThread): Guest<void> {
    yield store(this.owner, me.id);
    this.depth = 1;
  }

  private *recordFor(me: KernelThread): Guest<WaitRecord> {
    let record = this.records.get(me.id);
    if (record === undefined) {
      record = new WaitRecord(this.sim, me, `${this.name}.wait_record.${me.name}`);
      this.records.set(me.id, record);
    }
    yield* record.arm();
    return record;
  }

  /** The hand-off test: a token is published, the queue is not empty, and our CAS takes the token. */
  private *takeHandoffToken(): Guest<boolean> {
    const token = yield load(this.handoff);
    if (token === 0) return false;
    if (yield* this.waitqueue.empty()) return false;
    if (!(yield* cas(this.handoff, token, 0))) return false;
    this.stats.handoffTakes++;
    return true;
  }

  /**
   * lock()'s step 4: if we take the token we are responsible for the waitqueue. Pops one record;
   * answers true when it is our own (we own the lock), else wakes that thread (it owns the lock).
   */
  private *respondToHandoff(mine: WaitRecord): Guest<boolean> {
    if (!(yield* this.takeHandoffToken())) return false;
    const next = yield* this.waitqueue.pop();
    this.sim.assert(next !== undefined, "mutex-handoff-pop", () => `${this.name}: token taken, queue empty`);
    if (next === mine) return true;
    const mineWoken = yield* mine.woken();
    this.sim.assert(!mineWoken, "mutex-record-woken", () => `${mine.owner.name} woken while still queued`);
    yield* next!.wake(this.port);
    return false;
  }

  /** unlock() with contenders: transfer the lock to the oldest waiter, or leave a token. */
  private *handOver(me: KernelThread): Guest<void> {
    for (let round = 0; round < MAX_HANDOFF_ROUNDS; round++) {
      const next = yield* this.waitqueue.pop();
      if (next !== undefined) {
        this.sim.assert(next.owner.id !== me.id, "mutex-unlock-own-record", () => `${me.name} popped itself`);
        this.stats.directHandoffs++;
        yield* next.wake(this.port);
        return;
      }
      // A contender incremented count but has not queued yet: leave it the lock as a token.
      const token = yield* this.nextSequence();
      if (this.variant !== "unlock-forgets-handoff-publish") yield store(this.handoff, token);
      this.stats.tokensPublished++;
      if (yield* this.waitqueue.empty()) return;
      // It queued meanwhile; take the token back unless someone already did (they are responsible).
      if (!(yield* cas(this.handoff, token, 0))) return;
      this.stats.tokensReclaimed++;
    }
    this.sim.fail("mutex-handoff-rounds", `${this.name}: unlock looped ${MAX_HANDOFF_ROUNDS} times`);
  }

  /** sequence + 1 modulo 2^32, skipping 0 (0 means "no token"). */
  private *nextSequence(): Guest<number> {
    const previous = yield load(this.sequence);
    const next = (previous + 1) % 2 ** 32 || 1;
    yield store(this.sequence, next);
    return next;
  }
}
