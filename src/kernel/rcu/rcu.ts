// OSv's RCU (core/rcu.cc, include/osv/rcu.hh; osv-internals.md §4, with §2.6 preemption and §2.7
// wait/wake) on the scheduler model. Read side: rcu_read_lock is preempt_disable, rcu_read_unlock a
// fence then preempt_enable. Per CPU an `rcuN` thread (cpu_quiescent_state_thread) with `_generation`,
// `_request` and `_requested` cells, a global `next_generation` cell, and a double-buffered defer queue
// per CPU. The rcuN loop is §4's: swap buffers and wake blocked deferrers; g = ++next_generation;
// snapshot the rcu threads (fix ac7a8447); raise every other thread's `_request` to g by CAS-max and
// wake it; set our own `_generation` (waking threads that have `_requested` set); wait until every
// snapshotted thread's generation reaches g, serving our own requests meanwhile; run and clear the
// inactive buffer. With nothing to clean it sleeps until a request is pending or its active buffer
// is non-empty (re-checked only when something wakes it: rcu_defer does not, so callbacks batch).
//
// The service starts lazily: rcuOf(kernel) creates the rcu threads (pinned, system threads, so they
// do not keep a run alive) on first use, before kernel.start(); a run that never uses RCU is exactly
// what it was without this module. Deliberate differences from OSv: there is no migration lock in the
// scheduler model, so a deferrer that blocks on a full queue re-reads its CPU after the wait (as OSv's
// loop does), and rcu_synchronize wakes the rcu thread of the CPU whose queue took its callback (OSv
// stays on that CPU with a migration lock); there is no semaphore in the model yet, so
// rcu_synchronize and rcu_flush wait on a cell with wait_until and the callback stores and wakes;
// callbacks are guest generators, and an object's memory is an entry in RcuObjects that disposal
// poisons; the kernel variant "rcu-early-callbacks" plants an off-by-one in the grace-period wait.

import {
  type Cell,
  compareAndSwap,
  fence,
  fetchAdd,
  type Guest,
  load,
  type Simulation,
  store,
} from "../../sim/index.js";
import type { Kernel, KThread } from "../sched/index.js";
import { WaitRecord } from "../sync/index.js";
import { ALL_RCU_CHECKS, RcuChecker, type RcuChecks } from "./checks.js";
import { RCU_DEFER_QUEUE_SIZE, type RcuCallback, RcuDeferQueue } from "./defer-queue.js";
import { RcuObjects } from "./objects.js";

export interface RcuOptions {
  /** CONF_core_rcu_defer_queue_size: callbacks per buffer (OSv: 2000). */
  deferQueueSize: number;
  checks: Readonly<RcuChecks>;
}

export const DEFAULT_RCU_OPTIONS: Readonly<RcuOptions> = Object.freeze({
  deferQueueSize: RCU_DEFER_QUEUE_SIZE,
  checks: ALL_RCU_CHECKS,
});

/** Rounds a deferrer may find its CPU's queue full before the run is declared stuck. */
export const MAX_DEFER_FULL_ROUNDS = 100_000;

/** Observation counters (plain JS). */
export interface RcuStats {
  deferred: number;
  ran: number;
  gracePeriods: number;
  /** rcu_defer found the active buffer full and waited. */
  fullWaits: number;
  synchronizes: number;
  flushes: number;
  /** Longest time from rcu_defer to the callback running. */
  maxCallbackDelayNs: number;
}

/** One CPU's cpu_quiescent_state_thread. */
export class RcuThread {
  readonly generation: Cell;
  readonly request: Cell;
  readonly requested: Cell;
  thread!: KThread;

  constructor(
    sim: Simulation,
    readonly cpu: number,
  ) {
    this.generation = sim.memory.cell(`rcu${cpu}._generation`);
    this.request = sim.memory.cell(`rcu${cpu}._request`);
    this.requested = sim.memory.cell(`rcu${cpu}._requested`);
  }
}

const services = new WeakMap<Kernel, Rcu>();

/**
 * The kernel's RCU service, created (with its rcu threads) on first use. Call it before
 * kernel.start(); later calls answer the same service and must not ask for other options.
 */
export function rcuOf(kernel: Kernel, options: Partial<RcuOptions> = {}): Rcu {
  const existing = services.get(kernel);
  if (existing !== undefined) {
    existing.assertCompatible(options);
    return existing;
  }
  const rcu = new Rcu(kernel, { ...DEFAULT_RCU_OPTIONS, ...options });
  services.set(kernel, rcu);
  return rcu;
}

export class Rcu {
  readonly sim: Simulation;
  /** next_generation. */
  readonly nextGeneration: Cell;
  /** cpu_quiescent_state_threads, one per CPU. */
  readonly threads: RcuThread[];
  readonly queues: RcuDeferQueue[];
  readonly objects: RcuObjects;
  readonly checker: RcuChecker;
  readonly stats: RcuStats = {
    deferred: 0,
    ran: 0,
    gracePeriods: 0,
    fullWaits: 0,
    synchronizes: 0,
    flushes: 0,
    maxCallbackDelayNs: 0,
  };
  private readonly early: boolean;
  private callbackIds = 0;
  private flushIds = 0;
  /** Each thread's wait_record for a full defer queue, and its rcu_synchronize cell (by thread id). */
  private readonly deferRecords = new Map<number, WaitRecord>();
  private readonly synchronizeCells = new Map<number, { cell: Cell; tickets: number }>();

  constructor(
    readonly kernel: Kernel,
    readonly options: Readonly<RcuOptions>,
  ) {
    if (kernel.threads.some((t) => t.isIdle))
      throw new Error("rcuOf(kernel): the RCU service must be created before kernel.start()");
    const sim = kernel.sim;
    this.sim = sim;
    this.early = kernel.has("rcu-early-callbacks");
    this.nextGeneration = sim.memory.cell("rcu.next_generation");
    this.threads = kernel.cpus.map((cpu) => new RcuThread(sim, cpu.index));
    this.queues = kernel.cpus.map((cpu) => new RcuDeferQueue(cpu.index, options.deferQueueSize));
    this.objects = new RcuObjects(sim, options.checks.useAfterFree);
    this.checker = new RcuChecker(sim, kernel.cpus.length, options.checks);
    kernel.switchObservers.push((cpu, from) => this.checker.switched(cpu.index, from.id, from.name));
    for (const rcuThread of this.threads) {
      rcuThread.thread = kernel.spawn(`rcu${rcuThread.cpu}`, () => this.rcuMain(rcuThread), {
        cpu: rcuThread.cpu,
        pinned: true,
        system: true,
      });
    }
  }

  assertCompatible(options: Partial<RcuOptions>): void {
    const size = options.deferQueueSize;
    if (size !== undefined && size !== this.options.deferQueueSize)
      throw new Error(
        `rcuOf: defer queue size ${size} asked, the service has ${this.options.deferQueueSize}`,
      );
    const checks = options.checks;
    if (checks !== undefined && JSON.stringify(checks) !== JSON.stringify(this.options.checks))
      throw new Error("rcuOf: the RCU service already runs with other checks");
  }

  // ---- read side (§4, §2.6) ----------------------------------------------------------------------

  /** rcu_read_lock: preempt_disable. */
  *readLock(): Guest<void> {
    yield* this.kernel.preemptDisable();
    this.checker.enterRead(this.kernel.current().id);
  }

  /** rcu_read_unlock: a barrier, then preempt_enable (which reschedules if one was asked for). */
  *readUnlock(): Guest<void> {
    yield fence();
    const thread = this.kernel.current();
    this.checker.exitRead(thread.id, thread.name);
    yield* this.kernel.preemptEnable();
  }

  /** Whether the calling thread is inside a read-side section. */
  inReadSection(): boolean {
    return this.checker.readDepth(this.kernel.current().id) > 0;
  }

  /** Dereferences an object id read through an rcu_ptr inside a read-side section. */
  deref<T>(id: number): T {
    const thread = this.kernel.current();
    this.sim.assert(
      this.checker.readDepth(thread.id) > 0,
      "rcu.read-outside-section",
      () => `${thread.name} dereferenced an rcu_ptr outside rcu_read_lock`,
    );
    return this.objects.deref<T>(id, thread.name);
  }

  /** Dereferences an object id by its owner (the writer, under the writers' mutex). */
  derefByOwner<T>(id: number): T {
    return this.objects.deref<T>(id, this.kernel.current().name);
  }

  // ---- rcu_defer, rcu_dispose, rcu_synchronize, rcu_flush (§4) -------------------------------------

  /**
   * rcu_defer(f): appends f to this CPU's active buffer with preemption disabled; while it is full,
   * registers on the waiting list, wakes this CPU's rcu thread and waits for the buffer swap. Does not
   * wake the rcu thread otherwise. Answers the CPU whose queue took the callback.
   */
  *defer(run: () => Guest<void>, label: string): Guest<number> {
    const kernel = this.kernel;
    const thread = kernel.current();
    yield* kernel.preemptDisable();
    let cpu = kernel.cpuOf().index;
    for (let rounds = 0; this.queues[cpu]!.full; rounds++) {
      this.sim.assert(
        rounds < MAX_DEFER_FULL_ROUNDS,
        "rcu.defer-full-rounds",
        () => `${thread.name}: cpu${cpu}'s rcu defer queue stayed full for ${rounds} wakeups`,
      );
      this.stats.fullWaits++;
      const record = this.deferRecordOf(thread);
      yield* record.arm();
      this.queues[cpu]!.addWaiter(record);
      yield* kernel.preemptEnable();
      yield* kernel.wake(this.threads[cpu]!.thread);
      yield* record.wait(kernel);
      yield* kernel.preemptDisable();
      cpu = kernel.cpuOf().index; // OSv holds a migration lock here; the model re-reads its CPU
    }
    const callback: RcuCallback = {
      id: ++this.callbackIds,
      label,
      cpu,
      deferredNs: this.sim.now,
      quiescentAtDefer: this.checker.snapshot(),
      run,
      ran: false,
    };
    this.queues[cpu]!.push(callback);
    this.stats.deferred++;
    yield* kernel.preemptEnable();
    return cpu;
  }

  /** rcu_dispose(p) = rcu_defer(delete p): the object is poisoned after a grace period. */
  *dispose(id: number, label = "object"): Guest<void> {
    if (id === 0) return; // delete nullptr
    const objects = this.objects;
    yield* this.defer(function* (): Guest<void> {
      objects.free(id, "rcu_dispose");
    }, `dispose ${label} ${id}`);
  }

  /** rcu_synchronize: defer a post, wake that CPU's rcu thread, wait for the post. */
  *synchronize(): Guest<void> {
    const kernel = this.kernel;
    const thread = kernel.current();
    const done = this.synchronizeCellOf(thread);
    const ticket = ++done.tickets;
    this.stats.synchronizes++;
    const cpu = yield* this.defer(function* (): Guest<void> {
      yield store(done.cell, ticket);
      yield* kernel.wake(thread);
    }, `synchronize ${thread.name}#${ticket}`);
    yield* kernel.wake(this.threads[cpu]!.thread);
    yield* kernel.waitUntil(function* (): Guest<boolean> {
      return (yield load(done.cell)) >= ticket;
    });
  }

  /**
   * rcu_flush: a helper thread pinned on every CPU defers a post and wakes that CPU's rcu thread;
   * returns once every CPU's post has run, so every callback deferred before it has run too.
   */
  *flush(): Guest<void> {
    const kernel = this.kernel;
    const waiter = kernel.current();
    const flush = ++this.flushIds;
    this.stats.flushes++;
    const posts = this.sim.memory.cell(`rcu_flush.${flush}.posts`);
    const rcu = this;
    for (const cpu of kernel.cpus) {
      const helper = yield* kernel.api.create(
        `rcu_flush.${flush}.${cpu.index}`,
        function* (): Guest<void> {
          const on = yield* rcu.defer(function* (): Guest<void> {
            yield fetchAdd(posts, 1);
            yield* kernel.wake(waiter);
          }, `flush ${flush} cpu${cpu.index}`);
          // rcu_defer does not wake the rcu thread until its buffer fills: wake it now.
          yield* kernel.wake(rcu.threads[on]!.thread);
        },
        { cpu: cpu.index, pinned: true },
      );
      yield* kernel.api.join(helper);
    }
    const cpus = kernel.cpus.length;
    yield* kernel.waitUntil(function* (): Guest<boolean> {
      return (yield load(posts)) >= cpus;
    });
  }

  // ---- the rcuN thread (cpu_quiescent_state_thread::do_work) -------------------------------------

  private *rcuMain(me: RcuThread): Guest<void> {
    const kernel = this.kernel;
    const queue = this.queues[me.cpu]!;
    for (;;) {
      yield* kernel.preemptDisable();
      const toClean = queue.activeCount > 0;
      if (toClean) {
        for (const waiter of queue.swap()) yield* waiter.wake(kernel);
      }
      yield* kernel.preemptEnable();
      if (toClean) yield* this.gracePeriod(me, queue);
      else yield* this.sleep(me, queue);
    }
  }

  private *gracePeriod(me: RcuThread, queue: RcuDeferQueue): Guest<void> {
    const g = (yield fetchAdd(this.nextGeneration, 1)) + 1;
    // Copy the thread list so the CPUs requested are the CPUs waited for (fix ac7a8447).
    const snapshot = this.threads.slice();
    yield store(me.requested, 1);
    for (const other of snapshot) if (other !== me) yield* this.request(other, g);
    yield* this.setGeneration(me, g);
    const rcu = this;
    yield* this.kernel.waitUntil(function* (): Guest<boolean> {
      // Serve a request meanwhile, so an rcu thread waiting for this CPU makes progress.
      const requested = yield load(me.request);
      if ((yield load(me.generation)) < requested) yield* rcu.setGeneration(me, requested);
      return yield* rcu.reached(snapshot, g);
    });
    yield store(me.requested, 0);
    this.stats.gracePeriods++;
    for (const callback of queue.inactive()) {
      this.checker.beforeRun(callback, me.cpu);
      // Counted as it starts: a callback that wakes a thread may be switched out before it returns.
      this.stats.ran++;
      const delay = this.sim.now - callback.deferredNs;
      if (delay > this.stats.maxCallbackDelayNs) this.stats.maxCallbackDelayNs = delay;
      yield* callback.run();
    }
    queue.clearInactive();
  }

  /** Whether every snapshotted thread's generation reached g (the mutant: all but one). */
  private *reached(snapshot: readonly RcuThread[], g: number): Guest<boolean> {
    let count = 0;
    for (const other of snapshot) {
      if ((yield load(other.generation)) >= g) count++;
      else if (!this.early) return false;
    }
    return this.early ? count >= snapshot.length - 1 : true;
  }

  /** Nothing to clean: sleep until a request is pending or the active buffer is non-empty. */
  private *sleep(me: RcuThread, queue: RcuDeferQueue): Guest<void> {
    yield* this.kernel.waitUntil(function* (): Guest<boolean> {
      const generation = yield load(me.generation);
      const request = yield load(me.request);
      return generation < request || queue.activeCount > 0;
    });
    const request = yield load(me.request);
    if ((yield load(me.generation)) < request) yield* this.setGeneration(me, request);
  }

  /** request(g) on another rcu thread: raise its `_request` to at least g (CAS max), wake it. */
  private *request(other: RcuThread, g: number): Guest<void> {
    let seen = yield load(other.request);
    for (let rounds = 0; seen < g; rounds++) {
      this.sim.assert(rounds < 1000, "rcu.request-rounds", `rcu${other.cpu}._request: CAS-max kept failing`);
      const old = yield compareAndSwap(other.request, seen, g);
      if (old === seen) break;
      seen = old;
    }
    yield* this.kernel.wake(other.thread);
  }

  /** set_generation: publish our generation, then wake every rcu thread that waits for generations. */
  private *setGeneration(me: RcuThread, g: number): Guest<void> {
    const current = this.kernel.current();
    this.sim.assert(
      current === me.thread,
      "rcu.thread",
      () => `${current.name} set rcu${me.cpu}'s generation`,
    );
    this.sim.assert(
      g >= me.generation.value,
      "rcu.generation-monotonic",
      () => `rcu${me.cpu}'s generation would go back from ${me.generation.value} to ${g}`,
    );
    // rcuN is running, so no other thread of its CPU is inside a read-side section.
    this.checker.quiescentState(me.cpu);
    yield store(me.generation, g);
    for (const other of this.threads) {
      if (other !== me && (yield load(other.requested)) !== 0) yield* this.kernel.wake(other.thread);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private deferRecordOf(thread: KThread): WaitRecord {
    let record = this.deferRecords.get(thread.id);
    if (record === undefined) {
      record = new WaitRecord(this.sim, thread, `rcu_defer.wait_record.${thread.name}`);
      this.deferRecords.set(thread.id, record);
    }
    return record;
  }

  private synchronizeCellOf(thread: KThread): { cell: Cell; tickets: number } {
    let done = this.synchronizeCells.get(thread.id);
    if (done === undefined) {
      done = { cell: this.sim.memory.cell(`rcu_synchronize.${thread.name}`), tickets: 0 };
      this.synchronizeCells.set(thread.id, done);
    }
    return done;
  }
}
