// Per-CPU timers as OSv's timer_base / timer_list use them (osv-internals.md §2.14): set / reset /
// cancel, expiry in the clock-event interrupt, fired once per arm, clients that are threads (a fire
// wakes them) or the CPU itself (the preemption timer: a fire does nothing, the interrupt epilogue
// reschedules). The clock event is the local APIC one-shot timer programmed in ns. Each client keeps
// the list of its armed timers (timer_base::client::_active_timers) so that a migrating thread's timers
// leave the old CPU's list (suspend_timers) and join the new CPU's (resume_timers). Deliberate
// differences: a sorted list instead of OSv's 64-bucket timer_set (same expiry order — time, then
// creation order standing in for OSv's address tie-break); a deadline at or before now programs 1 ns
// instead of calling the handler synchronously; list corruption (a timer armed on another CPU's list)
// is reported through `fail` as an invariant violation where OSv would assert or corrupt memory.

export const TimerState = { Free: 0, Armed: 1, Expired: 2 } as const;

export interface TimerClient {
  /** Called from the clock-event interrupt, on the CPU where the timer was set. */
  timerFired(timer: Timer): void;
  /** The client's armed timers, in arming order (_active_timers): what a migration moves. */
  readonly activeTimers: Timer[];
}

export class Timer {
  state: number = TimerState.Free;
  timeNs = 0;
  /** The CPU list it is armed in, if any. */
  list: TimerList | null = null;
  constructor(
    readonly client: TimerClient,
    readonly name: string,
    /** Creation order in the kernel: stands in for OSv's object-address tie-break. */
    readonly id: number,
  ) {}
  get expired(): boolean {
    return this.state === TimerState.Expired;
  }
}

export class TimerList {
  private readonly armed: Timer[] = [];
  /** Uptime passed to the last expire (it must never go backwards: §2.14 aborts). */
  private lastNs = 0;

  constructor(
    /** Programs the one-shot clock event `ns` from now (ns >= 1). */
    private readonly program: (ns: number) => void,
    private readonly nowNs: () => number,
    private readonly limit = 4096,
    /** Reports list corruption (an invariant violation in a simulation). */
    private readonly fail: (check: string, message: string) => never = (check, message) => {
      throw new Error(`${check}: ${message}`);
    },
  ) {}

  get size(): number {
    return this.armed.length;
  }

  /** set(t) and reset(t): (re)arm at absolute `timeNs` on this CPU; reprogram when it is now first. */
  set(timer: Timer, timeNs: number): void {
    if (timer.state === TimerState.Armed) this.remove(timer);
    else timer.client.activeTimers.push(timer);
    timer.state = TimerState.Armed;
    timer.timeNs = timeNs;
    this.insert(timer);
  }

  /** cancel(): leaves the hardware programmed; an early interrupt then finds nothing due. */
  cancel(timer: Timer): void {
    if (timer.state === TimerState.Armed) {
      this.remove(timer);
      dropActive(timer);
    }
    timer.state = TimerState.Free;
  }

  /** suspend (interrupts off, on the old CPU): the client's armed timers leave this list, still armed. */
  suspend(timers: readonly Timer[]): void {
    for (const timer of timers) {
      if (timer.state !== TimerState.Armed)
        this.fail("sched.timer-suspend", `suspending timer ${timer.name}, which is not armed`);
      this.remove(timer);
    }
  }

  /** resume (interrupts off, on the new CPU): the client's armed timers join this list. */
  resume(timers: readonly Timer[]): void {
    for (const timer of timers) {
      if (timer.state !== TimerState.Armed)
        this.fail("sched.timer-resume", `resuming timer ${timer.name}, which is not armed`);
      this.insert(timer);
    }
  }

  /** Inserts an armed timer; reprograms the clock event when it became the earliest. */
  private insert(timer: Timer): void {
    if (timer.list !== null)
      this.fail(
        "sched.timer-list",
        `timer ${timer.name} is already in ${timer.list === this ? "this" : "another"} CPU's list`,
      );
    if (this.armed.length >= this.limit)
      this.fail("sched.timer-limit", `more than ${this.limit} armed timers on one CPU`);
    timer.list = this;
    let i = this.armed.length;
    while (i > 0 && before(timer, this.armed[i - 1]!)) i--;
    this.armed.splice(i, 0, timer);
    if (i === 0) this.program(Math.max(1, timer.timeNs - this.nowNs()));
  }

  private remove(timer: Timer): void {
    const index = this.armed.indexOf(timer);
    if (index < 0 || timer.list !== this)
      this.fail(
        "sched.timer-list",
        `timer ${timer.name} is armed but not in this CPU's list (${timer.list === null ? "in none" : "in another CPU's"})`,
      );
    this.armed.splice(index, 1);
    timer.list = null;
  }

  /** The clock-event interrupt: expires due timers in order and reprograms for the next one. */
  fired(): Timer[] {
    const now = this.nowNs();
    if (now < this.lastNs) throw new Error(`clock went backwards: ${now} < ${this.lastNs}`);
    this.lastNs = now;
    const due: Timer[] = [];
    while (this.armed.length > 0 && this.armed[0]!.timeNs <= now) {
      const timer = this.armed.shift()!;
      timer.list = null;
      timer.state = TimerState.Expired;
      dropActive(timer);
      due.push(timer);
    }
    const next = this.armed[0];
    if (next !== undefined) this.program(Math.max(1, next.timeNs - now));
    return due;
  }
}

/** Takes an expired or cancelled timer off its client's list of armed timers. */
function dropActive(timer: Timer): void {
  const active = timer.client.activeTimers;
  const index = active.indexOf(timer);
  if (index >= 0) active.splice(index, 1);
}

function before(a: Timer, b: Timer): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.id < b.id);
}
