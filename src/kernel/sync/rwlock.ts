// rwlock, OSv's second version ("More scalable rwlock", 2025; core/rwlock.cc, osv-internals.md §3.7).
// One 32-bit word `_readers` holds everything readers and writers race on: bit 31 WRITER_LOCK, bit 30
// PENDING_WRITER, bits 29-16 the owning readers (+0x10000 each), bits 15-0 the pending readers.
// Writers serialize on the lockfree::mutex `_wmtx` (§3.1), whose recursion gives recursive wlock; a
// pending writer sets PENDING_WRITER to stop new readers and sleeps on `_writer_wait` until the last
// owning reader clears it and wakes the `_wmtx` owner; readers that find the lock writer-held count
// themselves pending and sleep on the queue_mpsc `_read_waiters` (§3.2) until a releasing writer
// turns them into owning readers on their behalf and wakes them. Every atomic step is one effect,
// including OSv's assertions that load `_readers` (kept in release builds), and the wakes are
// OSv's: a raw thread wake after the condition was published, not wake_with.
// Deliberate differences: OSv's fetch_or(PENDING_WRITER) in wlock and fetch_and(~WRITER_LOCK) in
// wunlock are fetch_adds of that bit (the engine has no fetch_or/and): exact because only the `_wmtx`
// owner touches bits 30-31, so the bit is known clear (or set) — the old value is asserted, and a run
// stops at the step that broke it. Cells hold plain integers, so every update's old value is asserted
// to keep the word in [0, 2^32) and each field in range (OSv asserts less: room for one more owning or
// pending reader, and runlock's prev > 0). A reader's linked_item is a reused per-thread WaitRecord
// armed by a store; runlock finds the thread that `_wmtx.owner` names in a map (OSv: a pointer).
// Checker state in plain JS: the writer's id (wunlock and downgrade assert it). Retry and admission
// loops are bounded. Not modelled: wowned(), has_readers(). Variants put back plausible mistakes.

import {
  type Cell,
  compareAndSwap,
  fetchAdd,
  type Guest,
  load,
  loadEquals,
  type Simulation,
  store,
} from "../../sim/index.js";
import { MAX_CAS_RETRIES, QueueMpsc } from "../lockfree/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import { LockfreeMutex } from "./mutex.js";
import { WaitRecord } from "./wait-record.js";

export const WRITER_LOCK = 0x8000_0000;
export const PENDING_WRITER = 0x4000_0000;
export const READERS_MASK = 0x3fff_0000;
export const PENDING_READERS_MASK = 0x0000_ffff;
/** What rlock adds per owning reader. */
export const READER_LOCK_INC = 0x0001_0000;
export const MAX_OWNING_READERS = 0x3fff;
export const MAX_PENDING_READERS = 0xffff;
const WORD = 2 ** 32;

/** Owning readers in a `_readers` value (bits 29-16). */
export function owningReaders(word: number): number {
  return (word & READERS_MASK) >>> 16;
}

/** Pending readers in a `_readers` value (bits 15-0). */
export function pendingReaders(word: number): number {
  return word & PENDING_READERS_MASK;
}

export function writerLocked(word: number): boolean {
  return (word & WRITER_LOCK) !== 0;
}

export function writerPending(word: number): boolean {
  return (word & PENDING_WRITER) !== 0;
}

/** A `_readers` value from its fields (for tests and for the model's own CAS targets). */
export function rwlockWord(fields: {
  writerLock?: boolean;
  pendingWriter?: boolean;
  owning?: number;
  pending?: number;
}): number {
  const owning = fields.owning ?? 0;
  const pending = fields.pending ?? 0;
  if (!(Number.isInteger(owning) && owning >= 0 && owning <= MAX_OWNING_READERS))
    throw new RangeError(`owning readers ${owning} out of [0, ${MAX_OWNING_READERS}]`);
  if (!(Number.isInteger(pending) && pending >= 0 && pending <= MAX_PENDING_READERS))
    throw new RangeError(`pending readers ${pending} out of [0, ${MAX_PENDING_READERS}]`);
  return (
    (fields.writerLock === true ? WRITER_LOCK : 0) +
    (fields.pendingWriter === true ? PENDING_WRITER : 0) +
    owning * READER_LOCK_INC +
    pending
  );
}

/** downgrade's CAS target: WRITER_LOCK off, one more owning reader (the downgrader). */
export function downgradedWord(word: number): number {
  return ((word & ~WRITER_LOCK) >>> 0) + READER_LOCK_INC;
}

/** The acquiring writer's CAS target: WRITER_LOCK plus the pending readers; PENDING_WRITER cleared. */
export function writerLockedWord(word: number): number {
  return (WRITER_LOCK | pendingReaders(word)) >>> 0;
}

/** Renders a `_readers` value for messages. */
export function describeRwlockWord(word: number): string {
  const bits = [writerLocked(word) ? "WRITER_LOCK" : "", writerPending(word) ? "PENDING_WRITER" : ""];
  const flags = bits.filter((b) => b !== "").join("|") || "-";
  return `0x${(word >>> 0).toString(16).padStart(8, "0")} (${flags}, owning ${owningReaders(word)}, pending ${pendingReaders(word)})`;
}

/**
 * Mutants (not OSv bugs): "runlock-skips-writer-wake" — the last reader neither clears _writer_wait
 * nor wakes the pending writer; "wlock-sets-writer-wait-late" — wlock sets _writer_wait after
 * publishing PENDING_WRITER, so the last reader's clear can come first and be overwritten;
 * "rlock-skips-pending-recheck" — rlock, having counted itself pending, queues without re-checking
 * whether the writer left meanwhile, and no writer may be left to admit it.
 */
export type RwlockVariant =
  | "correct"
  | "runlock-skips-writer-wake"
  | "wlock-sets-writer-wait-late"
  | "rlock-skips-pending-recheck";

export const RWLOCK_VARIANTS: readonly RwlockVariant[] = [
  "correct",
  "runlock-skips-writer-wake",
  "wlock-sets-writer-wait-late",
  "rlock-skips-pending-recheck",
];

export interface RwlockOptions {
  variant?: RwlockVariant;
  /** Most readers queued on `_read_waiters` at once (default 1024). */
  queueCapacity?: number;
  /** Rounds of wake_pending_readers' pop/re-read loop before the run is declared stuck. */
  maxAdmitRounds?: number;
  /**
   * Observer (plain JS) of each wake the rwlock itself issues — runlock's wake of the pending
   * writer, a writer's wake of an admitted reader — which OSv issues with a raw thread::wake() after
   * publishing the woken thread's condition, so the thread may already have left. Called as the wake
   * returns: plain JS runs with the effect before it, so a call before the wake would observe the
   * moment the condition was published, not the moment the wake touches the thread.
   */
  onWake?: (thread: KernelThread, site: "runlock" | "admit") => void;
}

/** Observation counters (plain JS, no effects). */
export interface RwlockStats {
  /** rlock's first CAS loop took the lock. */
  fastReads: number;
  /** rlock counted itself pending, then converted itself to owning (the writer had just left). */
  selfAdmittedReads: number;
  /** rlock queued on `_read_waiters` and was admitted by a writer. */
  queuedReads: number;
  /** Readers a releasing (or downgrading) writer admitted and woke. */
  admittedReaders: number;
  /**
   * wake_pending_readers found the queue empty, re-read the count, and readers were still pending
   * (one of them has counted itself but not queued yet): rounds of busy-waiting.
   */
  admitSpins: number;
  /** The longest such run of re-reads in one wunlock/downgrade. */
  admitSpinsMax: number;
  /** The longest such run in virtual time (first to last re-read). */
  admitSpinNsMax: number;
  /** wlock took WRITER_LOCK by CAS (no owning readers). */
  fastWrites: number;
  /** wlock waited for the last owning reader. */
  waitedWrites: number;
  recursiveWrites: number;
  /** runlock was the last reader before a pending writer and woke it. */
  writerWakes: number;
  downgrades: number;
}

/** OSv's rwlock (v2): see the module comment. */
export class Rwlock {
  /** `_readers`: the 32-bit word (kept in [0, 2^32)). */
  readonly readers: Cell;
  /** `_writer_wait`: 1 while the pending writer must sleep. */
  readonly writerWait: Cell;
  /** `_wmtx`: serializes writers; its recursion depth is wlock's. */
  readonly wmtx: LockfreeMutex;
  /** `_read_waiters`: pending readers' wait records; only the `_wmtx` owner pops. */
  readonly readWaiters: QueueMpsc<WaitRecord>;
  readonly variant: RwlockVariant;
  readonly stats: RwlockStats = {
    fastReads: 0,
    selfAdmittedReads: 0,
    queuedReads: 0,
    admittedReaders: 0,
    admitSpins: 0,
    admitSpinsMax: 0,
    admitSpinNsMax: 0,
    fastWrites: 0,
    waitedWrites: 0,
    recursiveWrites: 0,
    writerWakes: 0,
    downgrades: 0,
  };
  /** Checker state (plain JS, not OSv's): the thread holding WRITER_LOCK, 0 when none. */
  private writerId = 0;
  private readonly records = new Map<number, WaitRecord>();
  /** Threads that took `_wmtx`, by id: runlock wakes the one `_wmtx.owner` names (OSv: a pointer). */
  private readonly writerThreads = new Map<number, KernelThread>();
  private readonly maxAdmitRounds: number;
  private readonly onWake: RwlockOptions["onWake"];
  /** The port the admitted readers' records wake through: it reports each wake to `onWake` first. */
  private readonly admitPort: WaitPort;

  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
    readonly name: string,
    options: RwlockOptions = {},
  ) {
    this.variant = options.variant ?? "correct";
    this.maxAdmitRounds = options.maxAdmitRounds ?? 10_000_000;
    this.onWake = options.onWake;
    this.readers = sim.memory.cell(`${name}._readers`);
    this.writerWait = sim.memory.cell(`${name}._writer_wait`);
    this.wmtx = new LockfreeMutex(sim, port, `${name}._wmtx`);
    this.readWaiters = new QueueMpsc<WaitRecord>(sim, `${name}._read_waiters`, {
      capacity: options.queueCapacity ?? 1024,
    });
    const rwlock = this;
    this.admitPort = {
      current: () => port.current(),
      waitUntil: (predicate) => port.waitUntil(predicate),
      *wake(thread: KernelThread): Guest<void> {
        yield* port.wake(thread);
        rwlock.onWake?.(thread, "admit");
      },
      *wakeFromMutex(thread: KernelThread): Guest<void> {
        yield* port.wakeFromMutex(thread);
        rwlock.onWake?.(thread, "admit");
      },
      clockNow: () => port.clockNow(),
      waitUntilDeadline: (predicate, deadlineNs) => port.waitUntilDeadline(predicate, deadlineNs),
      wakeLock: (thread, send) => port.wakeLock(thread, send),
      takeLockSent: () => port.takeLockSent(),
      preemptDisable: () => port.preemptDisable(),
      preemptEnable: () => port.preemptEnable(),
    };
  }

  /** The thread that holds the lock for writing (checker view), or 0. */
  get writer(): number {
    return this.writerId;
  }

  // ---- readers ---------------------------------------------------------------------------------

  *rlock(): Guest<void> {
    if (yield* this.tryRlock()) return;
    // The lock is writer-held or a writer is pending: count ourselves pending.
    const before = yield fetchAdd(this.readers, 1);
    this.checkWord(before + 1, "rlock's fetch_add(1)");
    this.sim.assert(
      pendingReaders(before) < MAX_PENDING_READERS,
      "rwlock-pending-overflow",
      () => `${this.name}: pending readers overflow ${describeRwlockWord(before)}`,
    );
    // A writer may just have left (wunlock raced our fetch_add): then admit ourselves.
    let expected = this.variant === "rlock-skips-pending-recheck" ? PENDING_WRITER : before + 1;
    for (let attempt = 0; expected < PENDING_WRITER; attempt++) {
      this.boundRetries(attempt, "rlock's pending-to-owning CAS");
      this.assertRoomForReader(expected);
      const seen = yield compareAndSwap(this.readers, expected, expected + READER_LOCK_INC - 1);
      if (seen === expected) {
        this.stats.selfAdmittedReads++;
        return;
      }
      expected = seen;
    }
    // Wait for a writer to admit us (it adds READER_LOCK_INC - 1 on our behalf and clears the record).
    const record = yield* this.recordFor(this.port.current());
    yield* this.readWaiters.push(record);
    yield* record.wait(this.port);
    this.stats.queuedReads++;
  }

  /** Takes the lock for reading unless a writer holds it or waits for it. */
  *tryRlock(): Guest<boolean> {
    let expected = yield load(this.readers);
    this.assertRoomForReader(expected);
    for (let attempt = 0; expected < PENDING_WRITER; attempt++) {
      this.boundRetries(attempt, "rlock's CAS");
      this.assertRoomForReader(expected);
      const seen = yield compareAndSwap(this.readers, expected, expected + READER_LOCK_INC);
      if (seen === expected) {
        this.stats.fastReads++;
        return true;
      }
      expected = seen;
    }
    return false;
  }

  *runlock(): Guest<void> {
    const before = yield fetchAdd(this.readers, -READER_LOCK_INC);
    this.sim.assert(
      owningReaders(before) >= 1,
      "rwlock-readers-underflow",
      () => `${this.name}: runlock with no owning reader, ${describeRwlockWord(before)}`,
    );
    this.sim.assert(
      !writerLocked(before),
      "rwlock-runlock-while-writer",
      () => `${this.name}: runlock while a writer holds the lock, ${describeRwlockWord(before)}`,
    );
    if (owningReaders(before) !== 1 || !writerPending(before)) return;
    // The last owning reader before a pending writer: release it.
    if (this.variant === "runlock-skips-writer-wake") return;
    const ownerId = yield load(this.wmtx.owner);
    if (ownerId === 0) return;
    const writer = this.writerThreads.get(ownerId);
    this.sim.assert(writer !== undefined, "rwlock-writer-thread", () => `${this.name}: no thread ${ownerId}`);
    yield store(this.writerWait, 0);
    this.stats.writerWakes++;
    yield* this.port.wake(writer!);
    this.onWake?.(writer!, "runlock");
  }

  // ---- writers ---------------------------------------------------------------------------------

  *wlock(): Guest<void> {
    const me = this.port.current();
    this.writerThreads.set(me.id, me);
    yield* this.wmtx.lock();
    if (writerLocked(yield load(this.readers))) {
      this.acquiredRecursively(me);
      return;
    }
    this.sim.assert(
      this.wmtx.recursionDepth === 1,
      "rwlock-recursion",
      () => `${this.name}: wlock at _wmtx depth ${this.wmtx.recursionDepth} without WRITER_LOCK`,
    );
    // Before PENDING_WRITER is visible, or the last reader's clear could come first and be undone.
    if (this.variant !== "wlock-sets-writer-wait-late") yield store(this.writerWait, 1);
    // fetch_or(PENDING_WRITER), as a fetch_add of the bit: only the _wmtx owner sets bits 30-31.
    const before = yield fetchAdd(this.readers, PENDING_WRITER);
    this.sim.assert(
      !writerLocked(before) && !writerPending(before),
      "rwlock-writer-bits",
      () => `${this.name}: the _wmtx owner found writer bits set, ${describeRwlockWord(before)}`,
    );
    if (this.variant === "wlock-sets-writer-wait-late") yield store(this.writerWait, 1);
    let expected = before + PENDING_WRITER;
    for (let attempt = 0; owningReaders(expected) === 0; attempt++) {
      this.boundRetries(attempt, "wlock's CAS");
      const seen = yield compareAndSwap(this.readers, expected, writerLockedWord(expected));
      if (seen === expected) {
        yield store(this.writerWait, 0); // OSv's comment: probably unnecessary
        this.stats.fastWrites++;
        this.acquired(me, seen);
        return;
      }
      expected = seen;
    }
    // Owning readers remain: the last one clears _writer_wait and wakes us.
    const writerWait = this.writerWait;
    yield* this.port.waitUntil(() => loadEquals(writerWait, 0));
    // PENDING_WRITER + PENDING_WRITER carries into WRITER_LOCK.
    const seen = yield fetchAdd(this.readers, PENDING_WRITER);
    this.sim.assert(
      writerPending(seen) && !writerLocked(seen),
      "rwlock-writer-bits",
      () => `${this.name}: woken writer found ${describeRwlockWord(seen)}`,
    );
    this.stats.waitedWrites++;
    this.acquired(me, seen);
  }

  /** Takes the lock for writing only if that needs no waiting (or we already hold it). */
  *tryWlock(): Guest<boolean> {
    const me = this.port.current();
    this.writerThreads.set(me.id, me);
    if (!(yield* this.wmtx.tryLock())) return false;
    const expected = yield load(this.readers);
    if (writerLocked(expected)) {
      this.acquiredRecursively(me);
      return true;
    }
    this.sim.assert(
      !writerPending(expected),
      "rwlock-writer-bits",
      () => `${this.name}: try_wlock's _wmtx owner found ${describeRwlockWord(expected)}`,
    );
    if (owningReaders(expected) === 0) {
      const seen = yield compareAndSwap(this.readers, expected, writerLockedWord(expected));
      if (seen === expected) {
        this.stats.fastWrites++;
        this.acquired(me, seen);
        return true;
      }
    }
    yield* this.wmtx.unlock();
    return false;
  }

  /** A sole owning reader becomes the writer, if no writer holds or waits for `_wmtx`. */
  *tryUpgrade(): Guest<boolean> {
    const me = this.port.current();
    this.writerThreads.set(me.id, me);
    if (!(yield* this.wmtx.tryLock())) return false;
    const expected = yield load(this.readers);
    // Exactly one owning reader (us) and no writer bits.
    if ((expected & ~PENDING_READERS_MASK) >>> 0 === READER_LOCK_INC) {
      const seen = yield compareAndSwap(this.readers, expected, writerLockedWord(expected));
      if (seen === expected) {
        // The word without our own owning reader: nobody else may own it.
        this.acquired(me, seen - READER_LOCK_INC);
        return true;
      }
    }
    yield* this.wmtx.unlock();
    return false;
  }

  *wunlock(): Guest<void> {
    const me = this.port.current();
    const word = yield load(this.readers);
    this.sim.assert(
      writerLocked(word),
      "rwlock-wunlock-unlocked",
      () => `${me.name}: wunlock of ${this.name} without WRITER_LOCK, ${describeRwlockWord(word)}`,
    );
    this.assertWriter(me, "wunlock");
    if (this.wmtx.recursionDepth > 1) {
      yield* this.wmtx.unlock();
      return;
    }
    // fetch_and(~WRITER_LOCK), as a fetch_add: bit 31 is set and only we clear it.
    const before = yield fetchAdd(this.readers, -WRITER_LOCK);
    this.sim.assert(
      writerLocked(before) && !writerPending(before) && owningReaders(before) === 0,
      "rwlock-writer-exclusive",
      () => `${this.name}: wunlock found ${describeRwlockWord(before)}`,
    );
    this.writerId = 0;
    // Admit the pending readers before the next writer can take _wmtx (the fairness claim).
    yield* this.wakePendingReaders(pendingReaders(before));
    yield* this.wmtx.unlock();
  }

  /** The writer becomes an owning reader; pending readers are admitted with it. */
  *downgrade(): Guest<void> {
    const me = this.port.current();
    const word = yield load(this.readers);
    this.sim.assert(
      writerLocked(word),
      "rwlock-downgrade-unlocked",
      () => `${me.name}: downgrade of ${this.name} without WRITER_LOCK, ${describeRwlockWord(word)}`,
    );
    this.assertWriter(me, "downgrade");
    let expected = yield load(this.readers);
    for (let attempt = 0; ; attempt++) {
      this.boundRetries(attempt, "downgrade's CAS");
      this.sim.assert(
        writerLocked(expected) && owningReaders(expected) === 0,
        "rwlock-writer-exclusive",
        () => `${this.name}: downgrade found ${describeRwlockWord(expected)}`,
      );
      const seen = yield compareAndSwap(this.readers, expected, downgradedWord(expected));
      if (seen === expected) break;
      expected = seen;
    }
    this.writerId = 0;
    this.stats.downgrades++;
    yield* this.wakePendingReaders(pendingReaders(yield load(this.readers)));
    for (let depth = this.wmtx.recursionDepth; depth > 0; depth--) yield* this.wmtx.unlock();
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * wake_pending_readers: while readers are pending, pop one, make it an owning reader (pending − 1,
   * owning + 1 in one fetch_add) and wake it. A pending reader that has not pushed yet is waited for
   * by re-reading the count (a spin, as in OSv). The count carried on is the one before our add, so
   * the last admission is followed by one more pop and a re-read (as in OSv).
   */
  private *wakePendingReaders(initialPending: number): Guest<void> {
    let pending = initialPending;
    let spins = 0;
    let spinStartNs = 0;
    for (let round = 0; pending !== 0; round++) {
      this.sim.assert(
        round < this.maxAdmitRounds,
        "rwlock-admit-rounds",
        () => `${this.name}: wake_pending_readers looped ${this.maxAdmitRounds} times, ${pending} pending`,
      );
      const record = yield* this.readWaiters.pop();
      if (record === undefined) {
        pending = pendingReaders(yield load(this.readers));
        if (pending === 0) break;
        // A reader counted itself pending but has not queued yet: spin until it does.
        if (spins++ === 0) spinStartNs = this.sim.now;
        this.stats.admitSpins++;
        this.stats.admitSpinsMax = Math.max(this.stats.admitSpinsMax, spins);
        this.stats.admitSpinNsMax = Math.max(this.stats.admitSpinNsMax, this.sim.now - spinStartNs);
        continue;
      }
      const before = yield fetchAdd(this.readers, READER_LOCK_INC - 1);
      this.checkWord(before + READER_LOCK_INC - 1, "an admission's fetch_add");
      this.sim.assert(
        pendingReaders(before) >= 1,
        "rwlock-pending-underflow",
        () =>
          `${this.name}: admitted ${record.owner.name} with no pending reader, ${describeRwlockWord(before)}`,
      );
      this.sim.assert(
        !writerLocked(before) && owningReaders(before) < MAX_OWNING_READERS,
        "rwlock-admit",
        () => `${this.name}: admitted ${record.owner.name} at ${describeRwlockWord(before)}`,
      );
      pending = pendingReaders(before);
      this.stats.admittedReaders++;
      yield* record.wake(this.admitPort);
    }
  }

  private acquired(me: KernelThread, before: number): void {
    this.sim.assert(
      owningReaders(before) === 0,
      "rwlock-writer-exclusive",
      () => `${me.name} took ${this.name} for writing with owning readers, ${describeRwlockWord(before)}`,
    );
    this.sim.assert(
      this.writerId === 0,
      "rwlock-writer-exclusive",
      () => `${me.name} took ${this.name} for writing while thread ${this.writerId} holds it`,
    );
    this.writerId = me.id;
  }

  private acquiredRecursively(me: KernelThread): void {
    this.sim.assert(
      this.writerId === me.id && this.wmtx.recursionDepth > 1,
      "rwlock-recursion",
      () => `${me.name}: WRITER_LOCK set, writer ${this.writerId}, _wmtx depth ${this.wmtx.recursionDepth}`,
    );
    this.stats.recursiveWrites++;
  }

  private assertWriter(me: KernelThread, operation: string): void {
    this.sim.assert(
      this.writerId === me.id,
      "rwlock-owner",
      () => `${me.name}: ${operation} of ${this.name} held for writing by thread ${this.writerId}`,
    );
  }

  /** OSv's assertion before a reader joins: room for one more owning reader. */
  private assertRoomForReader(word: number): void {
    this.sim.assert(
      owningReaders(word) < MAX_OWNING_READERS,
      "rwlock-readers-overflow",
      () => `${this.name}: no room for another reader, ${describeRwlockWord(word)}`,
    );
  }

  /** The word after an add must still be a 32-bit value (so plain addition was uint32 addition). */
  private checkWord(word: number, what: string): void {
    this.sim.assert(word >= 0 && word < WORD, "rwlock-word", () => `${this.name}: ${what} gave ${word}`);
  }

  private boundRetries(attempt: number, what: string): void {
    if (attempt >= MAX_CAS_RETRIES)
      this.sim.fail("rwlock-cas-retries", `${this.name}: ${what} retried ${attempt} times`);
  }

  private *recordFor(me: KernelThread): Guest<WaitRecord> {
    let record = this.records.get(me.id);
    if (record === undefined) {
      record = new WaitRecord(this.sim, me, `${this.name}.read_waiter.${me.name}`);
      this.records.set(me.id, record);
    }
    yield* record.arm();
    return record;
  }
}
