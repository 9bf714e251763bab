// Goal: timer_list as OSv's core/sched.cc runs it over the timer_set (§2.14): a cancelled first timer
// leaves the clock event programmed and its early interrupt is harmless; each arm fires exactly once;
// equal deadlines fire in the order they were set; a timer re-set from its own callback (963d0e11)
// works; the clock going backwards reaches the abort. Method: a TimerList whose uptime is a number
// the test moves and whose clock event is a recorder; the "interrupt" is a call of fired().
import { describe, expect, it } from "vitest";
import { Timer, type TimerClient, TimerList, TimerState } from "../../../../src/kernel/index.js";
import type { Guest } from "../../../../src/sim/index.js";

/** Runs guest code that yields no effects (uptime here is a plain number). */
function run<T>(guest: Guest<T>): T {
  let step = guest.next(0);
  for (let i = 0; !step.done; i++) {
    if (i > 1000) throw new Error("guest code yielded effects");
    step = guest.next(0);
  }
  return step.value;
}

function harness() {
  const clock = { now: 0 };
  /** The clock event as programmed: absolute deadline (uptime) or null. */
  const event = { at: null as number | null, writes: 0 };
  const log: string[] = [];
  /** Every fire: the uptime it happened at and the deadline it was armed for. */
  const fires: { now: number; deadline: number }[] = [];
  const list = new TimerList({
    *uptime() {
      return clock.now;
    },
    program(ns) {
      event.at = clock.now + ns;
      event.writes++;
    },
    clockBackwards(now, last) {
      throw new Error(`backwards ${now} < ${last}`);
    },
  });
  /** The hardware: jump to the programmed deadline and take the interrupt. */
  const interrupt = (): boolean => {
    if (event.at === null) return false;
    clock.now = Math.max(clock.now, event.at);
    event.at = null;
    run(list.fired());
    return true;
  };
  const client = (onFire?: (t: Timer) => Guest<void> | undefined): TimerClient => ({
    activeTimers: [],
    timerFired(t) {
      log.push(`${t.name}@${clock.now}`);
      fires.push({ now: clock.now, deadline: t.timeNs });
      return onFire?.(t);
    },
  });
  let ids = 0;
  const timer = (name: string, c = client()) => new Timer(c, name, ++ids);
  return { clock, event, log, fires, list, interrupt, client, timer };
}

describe("timer_list over timer_set", () => {
  it("cancel leaves the hardware programmed: the early interrupt finds nothing due and reprograms", () => {
    const h = harness();
    const first = h.timer("first");
    const second = h.timer("second");
    run(h.list.arm(first, 1000));
    run(h.list.arm(second, 5000));
    expect(h.event.at).toBe(1000);
    h.list.cancel(first);
    expect(first.state).toBe(TimerState.Free);
    // Not reprogrammed: OSv lets the early interrupt happen.
    expect(h.event.at).toBe(1000);
    expect(h.interrupt()).toBe(true);
    expect(h.log).toEqual([]);
    expect(h.list.stats.interruptsWithNothingDue).toBe(1);
    expect(h.event.at).toBe(5000);
    h.interrupt();
    expect(h.log).toEqual(["second@5000"]);
    expect(first.fires).toBe(0);
    expect(second.fires).toBe(1);
  });

  it("a later deadline after a cancel does not reprogram; an earlier one does", () => {
    const h = harness();
    const t = h.timer("t");
    run(h.list.arm(t, 1000));
    expect(h.event.writes).toBe(1);
    h.list.cancel(t);
    run(h.list.arm(t, 2000));
    expect(h.event.writes).toBe(1);
    h.list.cancel(t);
    run(h.list.arm(t, 500));
    expect(h.event.writes).toBe(2);
    expect(h.event.at).toBe(500);
  });

  it("fires each arm exactly once, at or after its deadline, whatever the mix of set, reset and cancel", () => {
    const h = harness();
    const timers = Array.from({ length: 6 }, (_, i) => h.timer(`t${i}`));
    let arms = 0;
    let state = 12345;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    for (let step = 0; step < 2000; step++) {
      const t = timers[random(timers.length)]!;
      const op = random(4);
      if (op === 0 && t.state !== TimerState.Armed) {
        run(h.list.arm(t, h.clock.now + random(3000)));
        arms++;
      } else if (op === 1) {
        if (t.state !== TimerState.Armed) arms++;
        run(h.list.reset(t, h.clock.now + random(3000)));
      } else if (op === 2 && t.state === TimerState.Armed) {
        h.list.cancel(t);
        arms--;
      } else if (op === 3) {
        h.interrupt();
      }
    }
    while (h.interrupt()) {}
    const fires = timers.reduce((sum, t) => sum + t.fires, 0);
    expect(fires).toBe(arms);
    expect(h.list.size).toBe(0);
    expect(h.fires.length).toBe(arms);
    for (const { now, deadline } of h.fires) expect(now).toBeGreaterThanOrEqual(deadline);
  });

  it("equal deadlines fire in the order they were set, not by creation order", () => {
    const h = harness();
    const [a, b, c] = [h.timer("a"), h.timer("b"), h.timer("c")];
    run(h.list.arm(c, 700));
    run(h.list.arm(a, 700));
    run(h.list.arm(b, 700));
    h.interrupt();
    expect(h.log).toEqual(["c@700", "a@700", "b@700"]);
  });

  it("a timer re-set from its own callback (963d0e11) fires again, once per arm", () => {
    const h = harness();
    let remaining = 5;
    const periodic: Timer = h.timer(
      "periodic",
      h.client((t) => {
        if (--remaining > 0) return h.list.arm(t, h.clock.now + 100);
        return undefined;
      }),
    );
    run(h.list.arm(periodic, 100));
    while (h.interrupt()) {}
    expect(h.log).toEqual(["periodic@100", "periodic@200", "periodic@300", "periodic@400", "periodic@500"]);
    expect(periodic.fires).toBe(5);
    expect(periodic.state).toBe(TimerState.Expired);
  });

  it("fired() loops while the next timer is already due by the time it rereads the clock", () => {
    const h = harness();
    const slow = h.timer(
      "slow",
      h.client(() => {
        h.clock.now += 50; // the callback takes 50 ns
        return undefined;
      }),
    );
    const next = h.timer("next");
    run(h.list.arm(slow, 100));
    run(h.list.arm(next, 120));
    h.interrupt();
    expect(h.log).toEqual(["slow@100", "next@150"]);
    expect(h.event.at).toBeNull();
  });

  it("uptime below the last expiry reaches the clock-backwards abort", () => {
    const h = harness();
    const t = h.timer("t");
    run(h.list.arm(t, 100));
    h.interrupt();
    run(h.list.arm(t, 200));
    h.clock.now = 50;
    expect(() => run(h.list.fired())).toThrow("backwards 50 < 100");
  });
});
