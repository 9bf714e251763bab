// Goal: the scheduler model on simulated vCPUs behaves as OSv's own test programs report (§2.16, §9.5).
// Method: build scenarios from YAML text and read the threads' statistics after the run.
import { describe, expect, it } from "vitest";
import { buildMachine } from "../../../../src/hw/index.js";
import { Condvar, Kernel, LockfreeMutex } from "../../../../src/kernel/index.js";
import { buildScenario, parseScenario } from "../../../../src/scenario/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";

function run(yaml: string) {
  const built = buildScenario(parseScenario(yaml, "test.yaml"));
  const result = built.run();
  return { result, threads: built.kernel!.threadTable(), metrics: built.metrics(), kernel: built.kernel! };
}

describe("scheduler on one CPU", () => {
  it("two hogs alternate with a mean slice of about 10 ms and share the CPU equally", () => {
    const { result, threads, metrics } = run(`name: t
machine: { cpus: 1 }
duration: 2s
workloads: [{ program: cpu-hog, threads: 2, params: { chunk: 1ms } }]`);
    expect(result.outcome).toBe("ok");
    const hogs = threads.filter((t) => t.name.includes("hog"));
    expect(Math.abs(hogs[0]!.cpu_ms - hogs[1]!.cpu_ms)).toBeLessThan(20);
    expect(hogs[0]!.cpu_ms + hogs[1]!.cpu_ms).toBeGreaterThan(1990);
    expect(metrics["w0.mean_slice_ns"]).toBeGreaterThan(9_000_000);
    expect(metrics["w0.mean_slice_ns"]).toBeLessThan(11_000_000);
  });

  it("a hog and a 50%-duty intermittent thread share about equally", () => {
    const { threads } = run(`name: t
machine: { cpus: 1 }
duration: 4s
workloads:
  - { program: cpu-hog, threads: 1 }
  - { program: intermittent, threads: 1, params: { run: 5ms, sleep: 5ms } }`);
    const hog = threads.find((t) => t.name.includes("hog"))!;
    const intermittent = threads.find((t) => t.name.includes("intermittent"))!;
    // The intermittent thread can use at most half the CPU; it gets close to that.
    expect(intermittent.cpu_ms).toBeGreaterThan(1700);
    expect(hog.cpu_ms).toBeGreaterThan(1700);
  });

  it("priority 0.5 against 1.0 gets about 2:1", () => {
    const { threads, result } = run(`name: t
machine: { cpus: 1 }
duration: 4s
workloads:
  - { program: cpu-hog, threads: 1, priority: 0.5 }
  - { program: cpu-hog, threads: 1, priority: 1.0 }
checks: [fair-share]`);
    expect(result.outcome).toBe("ok");
    const [fast, slow] = threads.filter((t) => t.name.includes("hog"));
    expect(fast!.cpu_ms / slow!.cpu_ms).toBeGreaterThan(1.85);
    expect(fast!.cpu_ms / slow!.cpu_ms).toBeLessThan(2.15);
  });

  it("a new thread next to a long-running hog runs about tau·ln2 ≈ 139 ms before the hog returns", () => {
    const sim = new Simulation({ seed: 1 });
    const kernel = new Kernel(sim, buildMachine(sim, { cpus: 1 }));
    let startedNs = -1;
    let firstRunNs = -1;
    kernel.spawn("hog", function* (api): Guest<void> {
      yield* api.compute(2_000_000_000);
      yield* api.create("fresh", function* (inner): Guest<void> {
        startedNs = yield* inner.now();
        for (;;) yield* inner.compute(1_000_000);
      });
      for (;;) yield* api.compute(1_000_000);
    });
    kernel.start();
    const fresh = () => kernel.threads.find((t) => t.name === "fresh");
    sim.run({ untilNs: 2_600_000_000 });
    // The fresh thread's first stretch: its CPU time before the hog was switched back in.
    firstRunNs = fresh()!.stats.totalCpuNs;
    expect(startedNs).toBeGreaterThanOrEqual(2_000_000_000);
    // Over 600 ms both ran; the fresh one got its ~139 ms head start plus half of the rest.
    const expectedFirst = 200_000_000 * Math.LN2;
    expect(firstRunNs).toBeGreaterThan(expectedFirst + (600_000_000 - expectedFirst) / 2 - 40_000_000);
    expect(fresh()!.stats.switches).toBeGreaterThan(1);
  });
});

describe("wait, wake and threads", () => {
  it("ping-pong completes colocated and across CPUs, and reports ns per hand-off", () => {
    const { result, metrics } = run(`name: t
machine: { cpus: 3 }
workloads:
  - { program: ping-pong, threads: 2, pin: [0, 0], params: { rounds: 200 } }
  - { program: ping-pong, threads: 2, pin: [1, 2], params: { rounds: 200 } }`);
    expect(result.outcome).toBe("ok");
    expect(result.checks.every((c) => c.status === "pass")).toBe(true);
    expect(metrics["w0.handoffs"]).toBe(400);
    expect(metrics["w0.ns_per_handoff"]).toBeGreaterThan(100);
  });

  it("thread churn and sleepers finish; every thread ends terminated", () => {
    const { result, threads } = run(`name: t
machine: { cpus: 2 }
workloads:
  - { program: thread-churn, threads: 2, pin: [0, 1], params: { iterations: 30 } }
  - { program: sleeper, threads: 2, params: { sleep: 100us, count: 5 } }`);
    expect(result.outcome).toBe("ok");
    for (const t of threads.filter((t) => !t.name.startsWith("idle") && !t.name.startsWith("balancer"))) {
      expect(t.status).toBe("terminated");
    }
    expect(threads.length).toBe(2 + 60 + 2 + 2 + 2); // churners, children, sleepers, idle and balancer threads
  });
});

describe("hardware faults from the scenario", () => {
  it("ipi-latency and spurious-interrupt faults reach the APICs and the kernel still completes", () => {
    // Threads started on cpu1 from cpu0 need a wakeup IPI (cpu1 has halted by then: 600 us of work
    // outlasts its idle loop's 10,000 polls, about 540 us): latency shows.
    const base = `name: t
machine: { cpus: 2 }
workloads:
  - { program: thread-churn, threads: 1, pin: [0], params: { iterations: 20, work: 600us, child_cpu: 1 } }
  - { program: ping-pong, threads: 2, pin: [0, 1], params: { rounds: 50 } }
  - { program: sleeper, threads: 1, pin: [0], params: { sleep: 10us, count: 10 } }
`;
    const fast = run(base);
    const slow = run(`${base}faults: [{ kind: ipi-latency, min: 20us, max: 20us }]`);
    const spurious = run(`${base}faults: [{ kind: spurious-interrupt, probability: 1 }]`);
    for (const r of [fast, slow, spurious]) {
      expect(r.result.outcome).toBe("ok");
      expect(r.metrics["w1.handoffs"]).toBe(100);
    }
    // 20 threads started on a halted cpu1, each through a wakeup IPI 20 us slower than before.
    expect(slow.result.virtualNs).toBeGreaterThan(fast.result.virtualNs + 20 * 15_000);
    const spuriousCount = spurious.kernel.machine.apics.reduce((n, a) => n + a.stats.spuriousInterrupts, 0);
    expect(spuriousCount).toBeGreaterThan(0);
    expect(fast.kernel.machine.apics.reduce((n, a) => n + a.stats.spuriousInterrupts, 0)).toBe(0);
  });

  it("rejects machine.devices until driver models exist, with file:line:col", () => {
    expect(() =>
      parseScenario(
        "name: t\nmachine:\n  devices:\n    - kind: virtio-blk\nworkloads: [{ program: sleeper }]\n",
        "d.yaml",
      ),
    ).toThrow(/d\.yaml:4:7: machine\.devices: the virtio-blk device model exists/);
  });
});

describe("historical bugs through interrupt injection", () => {
  const churn = (variants: string) => `name: t
machine: { cpus: 2 }
duration: 2ms
kernel: { variants: ${variants} }
faults: [{ kind: interrupt-injection, probability: 0.02 }]
workloads:
  - { program: thread-churn, threads: 1, pin: [0], params: { iterations: 30, work: 5us, child_cpu: 1 } }
checks: [churn-complete]`;

  it("the correct exit path survives an interrupt after any step; cf4c46c4's does not", () => {
    let hung = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const ok = buildScenario(parseScenario(churn("[]"), "ok.yaml"), { seed }).run();
      expect(ok.outcome).toBe("ok");
      const bug = buildScenario(parseScenario(churn("[cf4c46c4-join-hang]"), "bug.yaml"), { seed }).run();
      if (bug.outcome === "violation") {
        expect(bug.failure?.check).toBe("churn-complete");
        hung++;
      }
    }
    expect(hung).toBeGreaterThan(0);
  });
});

describe("cost model calibration", () => {
  it("ping-pong costs within 20% of OSv's misc-ctxsw (≈330 ns colocated, ≈580 ns apart)", () => {
    const { metrics } = run(`name: t
machine: { cpus: 3 }
workloads:
  - { program: ping-pong, threads: 2, pin: [0, 0], params: { rounds: 500 } }
  - { program: ping-pong, threads: 2, pin: [1, 2], params: { rounds: 500 } }`);
    const colocated = metrics["w0.ns_per_handoff"]!;
    const apart = metrics["w1.ns_per_handoff"]!;
    expect(colocated).toBeGreaterThan(330 * 0.8);
    expect(colocated).toBeLessThan(330 * 1.2);
    expect(apart).toBeGreaterThan(580 * 0.8);
    expect(apart).toBeLessThan(580 * 1.2);
  });
});

describe("condvar on OSv threads", () => {
  it("a bounded producer/consumer over the scheduler's wait/wake completes in order", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const sim = new Simulation({ seed, computeJitter: { probability: 0.3, maxNs: 500 } });
      const kernel = new Kernel(sim, buildMachine(sim, { cpus: 2 }), { stopWhenDone: true });
      const mutex = new LockfreeMutex(sim, kernel, "m");
      const notEmpty = new Condvar(sim, kernel, "not_empty");
      const notFull = new Condvar(sim, kernel, "not_full");
      const buffer: number[] = [];
      const received: number[] = [];
      kernel.spawn(
        "producer",
        function* (api): Guest<void> {
          for (let i = 0; i < 20; i++) {
            yield* api.compute(300);
            yield* mutex.lock();
            while (buffer.length >= 2) yield* notFull.wait(mutex);
            buffer.push(i);
            yield* notEmpty.wakeOne();
            yield* mutex.unlock();
          }
        },
        { cpu: 0, pinned: true },
      );
      kernel.spawn(
        "consumer",
        function* (api): Guest<void> {
          for (let n = 0; n < 20; n++) {
            yield* mutex.lock();
            while (buffer.length === 0) yield* notEmpty.wait(mutex);
            received.push(buffer.shift()!);
            yield* notFull.wakeOne();
            yield* mutex.unlock();
            yield* api.compute(200);
          }
        },
        { cpu: 1, pinned: true },
      );
      kernel.start();
      const result = sim.run({ untilNs: 50_000_000 });
      expect(result.failure).toBeNull();
      expect(result.reason).toBe("all workload threads finished");
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(notEmpty.stats.waits).toBe(notEmpty.stats.wakesDelivered);
    }
  });
});
