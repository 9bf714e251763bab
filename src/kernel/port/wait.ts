// The seam between synchronization primitives and the scheduler: what a primitive needs from the
// thread that runs it — who am I, wait until a predicate holds (OSv's wait_until, with status
// waiting set before the predicate is checked, so a concurrent wake is never lost), the same with a
// deadline (wait_until with a sched::timer: the predicate becomes `timer.expired() || pred()`), wake
// a thread (plainly, or from a mutex: wake_with_from_mutex, which also ends a sending_lock), the
// wait-morphing hand-shake wake_lock() needs (status waiting -> sending_lock, then lock_sent), and
// preemption control. Primitives (osv-internals.md §3) are written once against this port. The
// engine-only implementation below backs it with engine Block/Wake (a wake that comes first is kept
// as a permit) and engine timed events; the scheduler model implements it with OSv's real wait/wake
// protocol (§2.7) and per-CPU timers (§2.14).

import {
  block,
  type Guest,
  type Process,
  type Runner,
  RunnerState,
  type Simulation,
  type TimedHandler,
  wake,
} from "../../sim/index.js";

/** A thread as primitives see it: an identity to store in cells (`id` >= 1, 0 means none). */
export interface KernelThread {
  readonly id: number;
  readonly name: string;
}

/** A lock a thread waits for, as the wait-for graph sees it (host-side bookkeeping, no effects). */
export interface HeldLock {
  readonly name: string;
  /** The id of the thread holding it now, 0 when free. */
  holder(): number;
}

export interface WaitPort {
  /** The thread running the calling guest code. */
  current(): KernelThread;
  /**
   * Bookkeeping for deadlock reports: `thread` now waits for `lock` (null: no longer). Host-side,
   * no effect on the run; a port that reports deadlocks otherwise may ignore it.
   */
  noteWaitingFor?(thread: KernelThread, lock: HeldLock | null): void;
  /** Waits until `predicate` (guest code: it may read shared cells) answers true. */
  waitUntil(predicate: () => Guest<boolean>): Guest<void>;
  /**
   * The clock deadlines are measured in, read from guest code: virtual time for engine processes,
   * the kernel's uptime (a kvmclock read on the current CPU) for OSv threads.
   */
  clockNow(): Guest<number>;
  /**
   * Waits until `predicate` answers true or the port's clock reaches `deadlineNs` (a timer armed for
   * the wait and cancelled after it). Answers true if the predicate held, false on timeout; the
   * timer is checked first, as OSv's `tmr.expired() || pred()`, so a timeout may hide a predicate
   * that became true at the same moment (callers look again, as OSv's do).
   */
  waitUntilDeadline(predicate: () => Guest<boolean>, deadlineNs: number): Guest<boolean>;
  /** Wakes `thread` if it waits; otherwise its next wait re-checks its predicate at once. */
  wake(thread: KernelThread): Guest<void>;
  /** wake() as a mutex (or wait_record) does it: also wakes a thread whose status is sending_lock. */
  wakeFromMutex(thread: KernelThread): Guest<void>;
  /**
   * wake_lock()'s hand-shake (§2.7): if `thread` is waiting, marks it sending_lock (no other wake
   * can then reach it) and runs `send` (the caller's send_lock_unless_already_waiting); if that
   * answers true the thread is told the lock was sent (it will call receive_lock), else it is put
   * back to waiting. Answers true only when the lock was sent; false means the caller must mark the
   * wait_record woken itself (OSv: wr.clear()).
   */
  wakeLock(thread: KernelThread, send: () => Guest<boolean>): Guest<boolean>;
  /** After a wait: whether a wake_lock sent the calling thread a mutex (reading clears the flag). */
  takeLockSent(): boolean;
  preemptDisable(): Guest<void>;
  preemptEnable(): Guest<void>;
}

/** A ProcessWaitPort thread's status, as far as the wait/wake hand-shake needs one (plain JS). */
const ProcessStatus = { Running: 0, Waiting: 1, SendingLock: 2, Waking: 3 } as const;
type ProcessStatus = (typeof ProcessStatus)[keyof typeof ProcessStatus];

/**
 * WaitPort for engine Processes (each thread on its own notional CPU; no preemption to control).
 * Statuses are plain JS: every process runs on the one engine loop, so a status change is atomic
 * with the effect around it; the interleaving points are the primitives' own effects. A timed wait
 * schedules an engine event that is dropped unseen once the wait is over, so a late timer never
 * fires into a later wait.
 */
export class ProcessWaitPort implements WaitPort {
  private readonly threads = new Map<number, Process>();
  private readonly status = new Map<number, ProcessStatus>();
  private readonly lockSent = new Set<number>();
  /** Tokens of the armed wait timers; a timer whose token is gone is dead. */
  private readonly liveTimers = new Map<number, { runner: Runner; expired: boolean }>();
  private timerTokens = 0;
  private timerHandler: TimedHandler | null = null;

  constructor(private readonly sim: Simulation) {}

  /** Registers a process so it can be woken by id; its id is the runner id + 1. */
  adopt(process: Process): KernelThread {
    const thread = { id: process.id + 1, name: process.name };
    this.threads.set(thread.id, process);
    return thread;
  }

  current(): KernelThread {
    const runner: Runner | null = this.sim.currentRunner;
    if (runner === null) throw new Error("WaitPort.current() outside guest code");
    return { id: runner.id + 1, name: runner.name };
  }

  *waitUntil(predicate: () => Guest<boolean>): Guest<void> {
    const me = this.current().id;
    for (;;) {
      // stop_wait: a wake_lock in flight keeps us asleep until the mutex is handed over.
      if (this.status.get(me) === ProcessStatus.SendingLock) {
        yield block();
        continue;
      }
      this.status.set(me, ProcessStatus.Waiting);
      if (yield* predicate()) break;
      yield block();
    }
    while (this.status.get(me) === ProcessStatus.SendingLock) yield block();
    this.status.set(me, ProcessStatus.Running);
  }

  *clockNow(): Guest<number> {
    return this.sim.now;
  }

  *waitUntilDeadline(predicate: () => Guest<boolean>, deadlineNs: number): Guest<boolean> {
    const runner = this.sim.currentRunner;
    if (runner === null) throw new Error("WaitPort.waitUntilDeadline() outside guest code");
    const token = ++this.timerTokens;
    const timer = { runner, expired: false };
    this.liveTimers.set(token, timer);
    this.sim.at(Math.max(deadlineNs, this.sim.now), this.handler(), token);
    let held = false;
    try {
      yield* this.waitUntil(function* (): Guest<boolean> {
        if (timer.expired) return true;
        held = yield* predicate();
        return held;
      });
    } finally {
      this.liveTimers.delete(token); // cancel: the pending event is now dead
    }
    return held;
  }

  /** The timed-event target of every wait timer: marks it expired and wakes its process. */
  private handler(): TimedHandler {
    if (this.timerHandler !== null) return this.timerHandler;
    const port = this;
    this.timerHandler = {
      kind: this.sim.kinds.kindFor("wait-timer"),
      id: 0,
      isLive: (token) => port.liveTimers.has(token),
      fire(token) {
        const timer = port.liveTimers.get(token)!;
        timer.expired = true;
        // A timer wakes a thread only if it waits (never one in sending_lock).
        const id = timer.runner.id + 1;
        if (port.status.get(id) !== ProcessStatus.Waiting) return;
        port.status.set(id, ProcessStatus.Waking);
        if (timer.runner.state === RunnerState.Blocked) port.sim.resumeNow(timer.runner, 0);
        else timer.runner.permit = true;
      },
    };
    return this.timerHandler;
  }

  *wake(thread: KernelThread): Guest<void> {
    const process = this.process(thread);
    if (this.status.get(thread.id) === ProcessStatus.Waiting)
      this.status.set(thread.id, ProcessStatus.Waking);
    yield wake(process);
  }

  *wakeFromMutex(thread: KernelThread): Guest<void> {
    const process = this.process(thread);
    const status = this.status.get(thread.id);
    if (status === ProcessStatus.Waiting || status === ProcessStatus.SendingLock)
      this.status.set(thread.id, ProcessStatus.Waking);
    yield wake(process);
  }

  *wakeLock(thread: KernelThread, send: () => Guest<boolean>): Guest<boolean> {
    this.process(thread);
    if (this.status.get(thread.id) !== ProcessStatus.Waiting) return false;
    this.status.set(thread.id, ProcessStatus.SendingLock);
    if (yield* send()) {
      this.lockSent.add(thread.id);
      return true;
    }
    this.status.set(thread.id, ProcessStatus.Waiting);
    return false;
  }

  takeLockSent(): boolean {
    return this.lockSent.delete(this.current().id);
  }

  *preemptDisable(): Guest<void> {}
  *preemptEnable(): Guest<void> {}

  private process(thread: KernelThread): Process {
    const process = this.threads.get(thread.id);
    if (process === undefined) throw new Error(`wake: thread ${thread.name} (${thread.id}) was not adopted`);
    return process;
  }
}
