// Goal: the fairness arithmetic reproduces OSv's documented scheduling behaviour (osv-internals §2.4,
// §2.16). Method: hand-checked values of the float32 helpers, and a small uniprocessor harness that
// applies §2.5's decision procedure with the real runtime code to hogs, priorities and a new thread.
import { describe, expect, it } from "vitest";
import {
  C_INITIAL,
  CONTEXT_SWITCH_PENALTY_NS,
  CpuRuntime,
  expTau,
  fastLog2,
  niceToPriority,
  PRIORITY_IDLE,
  Runqueue,
  TAU_NS,
  ThreadRuntime,
  tauLog,
} from "../../../../src/kernel/sched/index.js";

describe("float32 helpers", () => {
  it("expTau is linear below tau/1000 and exponential above, in float32", () => {
    expect(expTau(0)).toBe(1);
    expect(expTau(100_000)).toBe(Math.fround(Math.fround(TAU_NS + 100_000) * Math.fround(1 / TAU_NS)));
    expect(expTau(TAU_NS)).toBeCloseTo(Math.E, 5);
    expect(Math.fround(expTau(TAU_NS))).toBe(expTau(TAU_NS));
    expect(expTau(-5_000_000)).toBeCloseTo(Math.exp(-0.025), 6);
  });

  it("fastLog2 is within 1e-4 of log2 and tauLog overshoots tau·ln by about 1%", () => {
    for (const x of [1.001, 1.5, 2, 3.7, 10, 1000, 123456]) {
      expect(Math.abs(fastLog2(x) - Math.log2(x))).toBeLessThan(1e-4 * Math.max(1, Math.log2(x)));
    }
    // Near 1 the approximation's absolute error dominates; from 1.5 up the 1% overshoot shows.
    for (const x of [1.5, 2, 3.7, 10, 1000, 123456]) {
      const ratio = tauLog(x) / (TAU_NS * Math.log(x));
      expect(ratio).toBeGreaterThan(1.0095);
      expect(ratio).toBeLessThan(1.0106);
    }
  });

  it("maps nice to OSv priorities (nice 20 is 86 times less CPU)", () => {
    expect(niceToPriority(0)).toBe(1);
    expect(niceToPriority(20)).toBeCloseTo(86, 3);
    expect(niceToPriority(-20)).toBeCloseTo(1 / 86, 6);
  });
});

describe("runtime bookkeeping", () => {
  it("a hog's normalized runtime saturates at about 1 (R = R''/c)", () => {
    const cpu = new CpuRuntime();
    const hog = new ThreadRuntime(1);
    for (let i = 0; i < 100; i++) hog.ranFor(cpu, 50_000_000, []);
    expect(hog.rtt / cpu.c).toBeCloseTo(1, 3);
  });

  it("renormalizes c and queued runtimes by 2^-126 when c reaches 2^63, keeping R''/c", () => {
    const cpu = new CpuRuntime();
    const running = new ThreadRuntime(1);
    const queued = new ThreadRuntime(1);
    queued.ranFor(cpu, 1_000_000, []);
    let steps = 0;
    while (cpu.renormalizeCount === 0 && steps++ < 10_000) running.ranFor(cpu, 100_000_000, [queued]);
    expect(cpu.renormalizeCount).toBe(1);
    expect(cpu.c).toBeLessThan(2 ** -40);
    expect(queued.renormalizeCount).toBe(1);
    expect(running.rtt / cpu.c).toBeCloseTo(1, 2);
  });

  it("update_after_sleep converts exported runtimes and zeroes long sleepers", () => {
    const a = new CpuRuntime();
    const t = new ThreadRuntime(1);
    t.ranFor(a, 10_000_000, []);
    const normalized = t.rtt / a.c;
    t.exportRuntime(a);
    expect(t.renormalizeCount).toBe(-1);
    const b = new CpuRuntime();
    b.c = 2 ** 10;
    t.updateAfterSleep(b);
    expect(t.rtt / b.c).toBeCloseTo(normalized, 5);
    const sleeper = new ThreadRuntime(1);
    sleeper.ranFor(a, 1_000_000, []);
    a.renormalizeCount += 2;
    sleeper.updateAfterSleep(a);
    expect(sleeper.rtt).toBe(0);
  });

  it("ignores an interval that would overflow float32", () => {
    const cpu = new CpuRuntime();
    const t = new ThreadRuntime(1);
    t.ranFor(cpu, 60_000_000_000, []);
    expect(cpu.c).toBe(C_INITIAL);
    expect(t.rtt).toBe(0);
  });

  it("time_until is -1 for the idle priority", () => {
    const cpu = new CpuRuntime();
    expect(new ThreadRuntime(PRIORITY_IDLE).timeUntil(cpu, 1)).toBe(-1);
  });
});

/** A uniprocessor running §2.5's decision procedure with the real runtime code (no IPIs, no wakeups from other CPUs). */
class Uniprocessor {
  readonly cpu = new CpuRuntime();
  readonly queue = new Runqueue<Task>();
  readonly idle: Task;
  running: Task;
  runningSince = 0;
  timerNs: number | null = null;
  readonly slices: { name: string; ns: number }[] = [];

  constructor(first: Task) {
    this.idle = new Task("idle", PRIORITY_IDLE);
    this.idle.rt.updateAfterSleep(this.cpu);
    this.idle.rt.rtt = PRIORITY_IDLE;
    this.queue.insertEqual(this.idle);
    this.running = first;
    first.rt.updateAfterSleep(this.cpu);
    first.rt.hysteresisRunStart(this.cpu);
  }

  wake(task: Task, now: number): void {
    task.rt.updateAfterSleep(this.cpu);
    this.queue.insertEqual(task);
    this.reschedule(now); // a local wake sets need_reschedule, honoured at once
  }

  reschedule(now: number): void {
    let interval = now - this.runningSince;
    if (interval <= 0) interval = CONTEXT_SWITCH_PENALTY_NS;
    const sliceNs = now - this.runningSince;
    this.runningSince = now;
    const p = this.running;
    p.cpuNs += sliceNs;
    p.rt.ranFor(
      this.cpu,
      interval,
      [...this.queue].map((t) => t.rt),
    );
    this.queue.rescaled();
    const head = this.queue.begin();
    if (p.rt.rtt < head.rt.rtt) {
      const d = p.rt.timeUntil(this.cpu, head.rt.rtt);
      this.timerNs = d > 0 ? now + d : null;
      return;
    }
    p.rt.hysteresisRunStop(this.cpu);
    this.queue.insertEqual(p);
    const n = this.queue.begin();
    this.queue.erase(n);
    n.rt.hysteresisRunStart(this.cpu);
    if (p !== this.idle) n.rt.addContextSwitchPenalty(this.cpu);
    const next = this.queue.begin();
    const d = n.rt.timeUntil(this.cpu, next.rt.rtt);
    this.timerNs = d > 0 ? now + d : null;
    if (n !== p)
      this.slices.push({ name: p.name, ns: p.sliceStartNs === undefined ? 0 : now - p.sliceStartNs });
    n.sliceStartNs = now;
    this.running = n;
  }

  /** Runs until `endNs`, rescheduling at preemption-timer expiries and every 100 ms (the balancer). */
  runUntil(endNs: number, fromNs: number): void {
    let now = fromNs;
    let tick = Math.ceil((fromNs + 1) / 100_000_000) * 100_000_000;
    while (now < endNs) {
      const next = Math.min(this.timerNs ?? Number.POSITIVE_INFINITY, tick, endNs);
      now = next;
      if (now === tick) tick += 100_000_000;
      this.reschedule(now);
    }
  }
}

class Task {
  readonly rt: ThreadRuntime;
  readonly realtime = 0;
  cpuNs = 0;
  sliceStartNs: number | undefined;
  constructor(
    readonly name: string,
    priority: number,
  ) {
    this.rt = new ThreadRuntime(priority);
  }
  get runtimeKey(): number {
    return this.rt.rtt;
  }
}

describe("scheduling behaviour on one CPU (osv-internals §2.16)", () => {
  it("two equal hogs alternate with a mean slice of about 2·thyst = 10 ms", () => {
    const a = new Task("a", 1);
    const b = new Task("b", 1);
    const cpu = new Uniprocessor(a);
    a.sliceStartNs = 0;
    cpu.wake(b, 0);
    cpu.runUntil(10_000_000_000, 0);
    const slices = cpu.slices.filter((s) => s.name !== "idle").slice(10);
    const mean = slices.reduce((sum, s) => sum + s.ns, 0) / slices.length;
    expect(mean).toBeGreaterThan(9_000_000);
    expect(mean).toBeLessThan(11_500_000);
    expect(Math.abs(a.cpuNs - b.cpuNs) / 10_000_000_000).toBeLessThan(0.01);
  });

  it("priority 0.5 against 1.0 gets about twice the CPU", () => {
    const fast = new Task("fast", 0.5);
    const slow = new Task("slow", 1);
    const cpu = new Uniprocessor(fast);
    cpu.wake(slow, 0);
    cpu.runUntil(20_000_000_000, 0);
    const ratio = fast.cpuNs / slow.cpuNs;
    expect(ratio).toBeGreaterThan(1.85);
    expect(ratio).toBeLessThan(2.15);
  });

  it("a new thread next to a long-running hog runs about tau·ln2 ≈ 139 ms (plus hysteresis)", () => {
    const hog = new Task("hog", 1);
    const cpu = new Uniprocessor(hog);
    hog.sliceStartNs = 0;
    cpu.runUntil(10_000_000_000, 0);
    const fresh = new Task("fresh", 1);
    cpu.wake(fresh, 10_000_000_000);
    expect(cpu.running).toBe(fresh);
    cpu.runUntil(11_000_000_000, 10_000_000_000);
    const firstRun = cpu.slices.find((s) => s.name === "fresh")!;
    const expected = TAU_NS * Math.LN2;
    expect(firstRun.ns).toBeGreaterThan(expected);
    expect(firstRun.ns).toBeLessThan(expected + 12_000_000);
  });
});
