// Per-CPU timers as OSv's timer_base / timer_list use them (core/sched.cc, drivers/clockevent.hh,
// arch/x64/apic-clock.cc; osv-internals.md §2.14): set / reset / cancel, expiry from the clock-event
// interrupt through the CPU's timer_set (timer-set.ts), fired once per arm, clients that are threads
// (a fire wakes them) or the CPU itself (the preemption timer: a fire does nothing, the interrupt
// epilogue reschedules). Every time it needs goes through the kernel's uptime read on this CPU
// (kvmclock, clock.ts), as OSv's osv::clock::uptime::now() does: fired() reads it once, and again
// after dispatching if timers remain (looping while the next one is already due); rearm() reads it
// to turn a deadline into the relative ns the one-shot LAPIC timer is written with. `lastProgrammed`
// is timer_list::_last: cancel() never reprograms, so a cancelled first timer still brings its
// interrupt, which finds nothing due (harmless). A timer is taken off the set before its client's
// timer_fired, which may set it again (963d0e11). Each client keeps the list of its armed timers
// (timer_base::client::_active_timers) so that a migrating thread's timers leave the old CPU's set
// (suspend_timers) and join the new CPU's (resume_timers, which rearms). Deliberate differences: a
// deadline at or before now programs 1 ns instead of calling fired() synchronously from set (no
// re-entry into the timer list from inside reschedule); list corruption (a timer armed, cancelled or
// resumed on the wrong CPU's list) is reported through the `fail` hook as an invariant violation
// where OSv would assert or corrupt memory.

import { type Guest, removeAt } from "../../sim/index.js";
import { MAX_TIMESTAMP_NS, TimerSet } from "./timer-set.js";

export const TimerState = { Free: 0, Armed: 1, Expired: 2 } as const;

export interface TimerClient {
  /**
   * timer_fired: called from the clock-event interrupt (interrupts off) on the CPU where the timer
   * was set, after the timer left the set and became expired. Guest code it answers runs there and
   * then (a thread's wake, or setting a timer again).
   */
  timerFired(timer: Timer): Guest<void> | undefined;
  /** The client's armed timers, in arming order (_active_timers): what a migration moves. */
  readonly activeTimers: Timer[];
}

export class Timer {
  state: number = TimerState.Free;
  timeNs = 0;
  /** The CPU list it is armed in, if any. */
  list: TimerList | null = null;
  /** Times it expired (fired), for tests and reports. */
  fires = 0;
  constructor(
    readonly client: TimerClient,
    readonly name: string,
    /** Creation order in the kernel (names it in reports; the timer_set orders equal times by insertion). */
    readonly id: number,
  ) {}
  get expired(): boolean {
    return this.state === TimerState.Expired;
  }
}

export interface TimerListHooks {
  /** osv::clock::uptime::now() on this CPU, as guest code. */
  uptime(): Guest<number>;
  /** Writes the one-shot clock event `ns` from now (ns >= 1). */
  program(ns: number): void;
  /** The timer_set saw the clock go backwards (OSv aborts); must not return. */
  clockBackwards(nowNs: number, lastNs: number): never;
  /** Reports list corruption (an invariant violation in a simulation); default: throws. */
  fail?(check: string, message: string): never;
}

/** Passes of fired()'s "already due: expire again" loop before the run is declared stuck. */
const MAX_FIRED_ROUNDS = 10_000;

export class TimerList {
  readonly set: TimerSet<Timer>;
  /** timer_list::_last: the deadline the clock event was last programmed for (max: none). */
  private lastProgrammedNs = MAX_TIMESTAMP_NS;
  readonly stats = { fired: 0, programmed: 0, interruptsWithNothingDue: 0 };

  constructor(private readonly hooks: TimerListHooks) {
    this.set = new TimerSet<Timer>((now, last) => hooks.clockBackwards(now, last));
  }

  get size(): number {
    return this.set.size;
  }

  /** timer_base::set(t) with interrupts off: arm at absolute uptime `timeNs` on this CPU. */
  *arm(timer: Timer, timeNs: number): Guest<void> {
    if (timer.state === TimerState.Armed)
      throw new Error(`timer ${timer.name} is set while armed (OSv's set() requires it not be)`);
    timer.client.activeTimers.push(timer);
    timer.state = TimerState.Armed;
    timer.timeNs = timeNs;
    if (this.insert(timer)) yield* this.rearm();
  }

  /** timer_base::reset(t): re-arm at `timeNs`, taking it out of the set first if armed. */
  *reset(timer: Timer, timeNs: number): Guest<void> {
    if (timer.state === TimerState.Armed) this.remove(timer);
    else timer.client.activeTimers.push(timer);
    timer.state = TimerState.Armed;
    timer.timeNs = timeNs;
    if (this.insert(timer)) yield* this.rearm();
  }

  /** timer_base::cancel(): leaves the hardware programmed; an early interrupt then finds nothing due. */
  cancel(timer: Timer): void {
    if (timer.state === TimerState.Armed) {
      this.remove(timer);
      dropActive(timer);
    }
    timer.state = TimerState.Free;
  }

  /** suspend_timers (interrupts off, on the old CPU): the client's armed timers leave this set, still armed. */
  suspend(timers: readonly Timer[]): void {
    for (const timer of timers) {
      if (timer.state !== TimerState.Armed)
        this.fail("sched.timer-suspend", `suspending timer ${timer.name}, which is not armed`);
      this.remove(timer);
    }
  }

  /** resume_timers (interrupts off, on the new CPU): the client's armed timers join this set; rearm. */
  *resume(timers: readonly Timer[]): Guest<void> {
    let earlier = false;
    for (const timer of timers) {
      if (timer.state !== TimerState.Armed)
        this.fail("sched.timer-resume", `resuming timer ${timer.name}, which is not armed`);
      if (this.insert(timer)) earlier = true;
    }
    if (earlier) yield* this.rearm();
  }

  /** Puts an armed timer in this CPU's set; answers whether it is earlier than the cached next. */
  private insert(timer: Timer): boolean {
    if (timer.list !== null)
      this.fail(
        "sched.timer-list",
        `timer ${timer.name} is already in ${timer.list === this ? "this" : "another"} CPU's list`,
      );
    timer.list = this;
    return this.set.insert(timer);
  }

  /** Takes an armed timer out of this CPU's set (it must be there). */
  private remove(timer: Timer): void {
    if (timer.list !== this)
      this.fail(
        "sched.timer-list",
        `timer ${timer.name} is armed but not in this CPU's list (${timer.list === null ? "in none" : "in another CPU's"})`,
      );
    this.set.remove(timer);
    timer.list = null;
  }

  private fail(check: string, message: string): never {
    if (this.hooks.fail !== undefined) return this.hooks.fail(check, message);
    throw new Error(`${check}: ${message}`);
  }

  /** timer_list::rearm(): program the clock event when the next deadline is before the programmed one. */
  *rearm(): Guest<void> {
    const t = this.set.getNextTimeout();
    if (t >= this.lastProgrammedNs) return;
    this.lastProgrammedNs = t;
    const now = yield* this.hooks.uptime();
    this.programFor(t - now);
  }

  /** timer_list::fired(), from the clock-event interrupt: expire, dispatch, reprogram. */
  *fired(): Guest<void> {
    let now = yield* this.hooks.uptime();
    for (let round = 0; round < MAX_FIRED_ROUNDS; round++) {
      this.lastProgrammedNs = MAX_TIMESTAMP_NS;
      this.set.expire(now);
      let dispatched = 0;
      for (let timer = this.set.popExpired(); timer !== null; timer = this.set.popExpired()) {
        if (timer.state !== TimerState.Armed)
          throw new Error(`timer ${timer.name} expired while not armed (state ${timer.state})`);
        timer.state = TimerState.Expired;
        timer.list = null;
        dropActive(timer);
        timer.fires++;
        this.stats.fired++;
        dispatched++;
        const work = timer.client.timerFired(timer);
        if (work !== undefined) yield* work;
      }
      if (round === 0 && dispatched === 0) this.stats.interruptsWithNothingDue++;
      if (this.set.empty) return;
      now = yield* this.hooks.uptime();
      const t = this.set.getNextTimeout();
      if (t > now) {
        this.lastProgrammedNs = t;
        this.programFor(t - now);
        return;
      }
    }
    throw new Error(`timer_list::fired: timers still due after ${MAX_FIRED_ROUNDS} rounds`);
  }

  private programFor(ns: number): void {
    this.stats.programmed++;
    this.hooks.program(Math.max(1, ns));
  }
}

/** Takes an expired or cancelled timer off its client's list of armed timers. */
function dropActive(timer: Timer): void {
  const active = timer.client.activeTimers;
  const index = active.indexOf(timer);
  if (index >= 0) removeAt(active, index);
}
