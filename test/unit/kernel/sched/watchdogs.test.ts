// Goal: the kernel's scenario checks sched-progress and sched-wake-delivery hold on healthy runs and
// fail, naming the thread, when their bound is tighter than what the scheduler really does.
// Method: scenarios from YAML text; the same workload with a generous and a too-tight bound.
import { describe, expect, it } from "vitest";
import { buildScenario, parseScenario, ScenarioError } from "../../../../src/scenario/index.js";

function run(yaml: string) {
  const result = buildScenario(parseScenario(yaml, "test.yaml")).run();
  return { result, failure: result.failure };
}

const hogs = (bound: string) => `name: t
machine: { cpus: 1 }
duration: 300ms
kernel: { progress_bound: ${bound} }
workloads: [{ program: cpu-hog, threads: 2, params: { chunk: 1ms } }]
checks: [sched-progress, sched-states]`;

const pingPong = (bound: string) => `name: t
machine: { cpus: 2 }
kernel: { wake_delivery_bound: ${bound} }
workloads: [{ program: ping-pong, threads: 2, pin: [0, 1], params: { rounds: 200 } }]
checks: [sched-wake-delivery, ping-pong-rounds]`;

// The same hand-offs with a hog on cpu1: a wake to it waits for the wakeup IPI (an idle cpu1 would
// see it within one idle poll, before the waker's next reschedule could look).
const pingPongBusy = (bound: string) => `name: t
machine: { cpus: 2 }
duration: 2ms
kernel: { wake_delivery_bound: ${bound} }
workloads:
  - { program: ping-pong, threads: 2, pin: [0, 1], params: { rounds: 200 } }
  - { program: cpu-hog, threads: 1, pin: [1], params: { chunk: 1ms } }
checks: [sched-wake-delivery]`;

describe("kernel watchdogs", () => {
  it("sched-progress holds when two hogs alternate every ~10 ms, and fails at a 2 ms bound", () => {
    const ok = run(hogs("50ms"));
    expect(ok.result.outcome).toBe("ok");
    expect(ok.result.checks.map((c) => [c.name, c.status])).toContainEqual(["sched-progress", "pass"]);
    const tight = run(hogs("2ms"));
    expect(tight.result.outcome).toBe("violation");
    expect(tight.failure?.check).toBe("sched-progress");
    expect(tight.failure?.message).toMatch(/hog\d has been runnable on cpu0 for \d+ ns/);
  });

  it("sched-wake-delivery holds for ping-pong across CPUs, and fails below the wakeup latency", () => {
    const ok = run(pingPong("1ms"));
    expect(ok.result.outcome).toBe("ok");
    expect(ok.result.checks.map((c) => [c.name, c.status])).toContainEqual(["sched-wake-delivery", "pass"]);
    expect(run(pingPongBusy("1ms")).result.outcome).toBe("ok");
    const tight = run(pingPongBusy("10ns"));
    expect(tight.result.outcome).toBe("violation");
    expect(tight.failure?.check).toBe("sched-wake-delivery");
    expect(tight.failure?.message).toMatch(/was woken \d+ ns ago and never reached a runqueue/);
  });

  it("kernel checks are offered only to scenarios with a workload on the kernel", () => {
    expect(() =>
      parseScenario(
        `name: t
workloads: [{ program: counter, threads: 2 }]
checks: [sched-progress]`,
        "t.yaml",
      ),
    ).toThrow(ScenarioError);
  });
});

describe("kernel-deadlock", () => {
  const lockOrder = (params: string) => `name: t
machine: { cpus: 2 }
duration: 5ms
workloads: [{ program: osv-lock-order, threads: 2, pin: [0, 1], params: { work: 10us${params} } }]
checks: [kernel-deadlock, lock-order-complete]`;

  it("prints the wait-for cycle of OSv threads stuck on each other's mutexes", () => {
    const result = buildScenario(parseScenario(lockOrder(""), "test.yaml")).run();
    expect(result.outcome).toBe("violation");
    const deadlock = result.checks.find((c) => c.name === "kernel-deadlock")!;
    expect(deadlock.status).toBe("fail");
    expect(deadlock.message).toBe(
      "wait-for cycle: w0.t0 waits for w0.m1, held by w0.t1; w0.t1 waits for w0.m0, held by w0.t0",
    );
  });

  it("passes when the same threads take the mutexes in one order, whatever the seed", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const result = buildScenario(parseScenario(lockOrder(", ordered: true, rounds: 20"), "test.yaml"), {
        seed,
      }).run();
      expect(result.failure).toBeNull();
      expect(result.checks).toEqual([
        { name: "lock-order-complete", status: "pass" },
        { name: "kernel-deadlock", status: "pass" },
      ]);
    }
  });
});
