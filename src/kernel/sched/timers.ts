// Per-CPU timers as OSv's timer_base / timer_list use them (osv-internals.md §2.14): set / reset /
// cancel, expiry in the clock-event interrupt, fired once per arm, clients that are threads (a fire
// wakes them) or the CPU itself (the preemption timer: a fire does nothing, the interrupt epilogue
// reschedules). The clock event is the local APIC one-shot timer programmed in ns. Deliberate
// differences: a sorted list instead of OSv's 64-bucket timer_set (same expiry order — time, then
// creation order standing in for OSv's address tie-break); a deadline at or before now programs 1 ns
// instead of calling the handler synchronously.

export const TimerState = { Free: 0, Armed: 1, Expired: 2 } as const;

export interface TimerClient {
  /** Called from the clock-event interrupt, on the CPU where the timer was set. */
  timerFired(timer: Timer): void;
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
  ) {}

  get size(): number {
    return this.armed.length;
  }

  /** set(t) and reset(t): (re)arm at absolute `timeNs` on this CPU; reprogram when it is now first. */
  set(timer: Timer, timeNs: number): void {
    if (timer.state === TimerState.Armed) this.remove(timer);
    if (timer.list !== null && timer.list !== this)
      throw new Error(`timer ${timer.name} is armed on another CPU`);
    timer.state = TimerState.Armed;
    timer.timeNs = timeNs;
    timer.list = this;
    let i = this.armed.length;
    while (i > 0 && before(timer, this.armed[i - 1]!)) i--;
    if (this.armed.length >= this.limit) throw new Error(`more than ${this.limit} armed timers on one CPU`);
    this.armed.splice(i, 0, timer);
    if (i === 0) this.program(Math.max(1, timeNs - this.nowNs()));
  }

  /** cancel(): leaves the hardware programmed; an early interrupt then finds nothing due. */
  cancel(timer: Timer): void {
    if (timer.state === TimerState.Armed) this.remove(timer);
    timer.state = TimerState.Free;
  }

  private remove(timer: Timer): void {
    const index = this.armed.indexOf(timer);
    if (index < 0) throw new Error(`timer ${timer.name} is armed but not in its CPU list`);
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
      due.push(timer);
    }
    const next = this.armed[0];
    if (next !== undefined) this.program(Math.max(1, next.timeNs - now));
    return due;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.id < b.id);
}
