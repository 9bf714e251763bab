// Goal: the checks behind the thread-API property test bite. Method: the stale-wakeup mutant (OSv
// before fix 0a4b84bd: a wakeup left in the old CPU's queue by pin(t, cpu) is honoured there) under
// fast-check-chosen schedules of hopping threads that pin victims another thread keeps waking, next
// to the correct kernel on the same schedules; and the #178 variant (schedule() reads the CPU before
// disabling interrupts) by seeded runs of its bug scenario, next to the correct kernel on the same
// seeds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildScenario,
  choiceSequences,
  loadScenario,
  type RunResult,
  runWithChoices,
} from "../../../src/index.js";

// No stall faults here. The correct kernel can still fail, rarely, by a race in OSv's own pin(t, cpu)
// (pin-wake-double-queue.yaml): a timer interrupt between a waker's compare-and-swap and its load of
// t's home CPU lets pin's helper move t and wake it first, and t is queued twice (a status transition
// queued -> queued). That race is tested by its own scenario; here it is told apart from the mutant's
// failures, which are a thread switched in away from its home (sched.home-cpu) or queued twice.
function pinWakerText(variants: string[]): string {
  return `name: pin-waker
machine: { cpus: 3 }
kernel: { variants: [${variants.join(", ")}] }
workloads:
  - program: pin-hop
    threads: 2
    pin: [0, 1]
    params: { hops: 12, work: 5us, alarm: 30us, victim: own, victim_work: 40us, victim_sleep: 10us, waker: true }
`;
}

const DOUBLE_QUEUE_CHECKS = ["sched.status-transition", "sched.one-runqueue", "sched.home-cpu"];

/** The pin/wake race of OSv itself: the double queueing shows as a thread made queued while queued. */
function isPinWakeRace(result: RunResult): boolean {
  const failure = result.failure;
  return (
    failure !== null &&
    failure.check === "sched.status-transition" &&
    failure.message.endsWith("expected waking before queued, found queued")
  );
}

// Values up to 1000: some choices pick among many (a jitter, a delay), not only among a few runners.
const schedules = choiceSequences({ maxLength: 3000, maxValue: 1000 });

describe("the stale-wakeup mutant (before 0a4b84bd)", () => {
  it("is caught, while the correct kernel holds over 1000 schedules of the same scenario", () => {
    const mutant = loadScenario("stale.yaml", pinWakerText(["0a4b84bd-stale-wakeup"]));
    const details = fc.check(
      fc.property(schedules, (values) => {
        const result = runWithChoices(mutant, values);
        return result.outcome === "ok" || isPinWakeRace(result);
      }),
      // No shrinking: the counterexample only has to fail, and shrinking 3000 choices takes minutes.
      { numRuns: 200, endOnFailure: true },
    );
    expect(details.failed).toBe(true);
    const caught = runWithChoices(mutant, details.counterexample![0]);
    expect(DOUBLE_QUEUE_CHECKS).toContain(caught.failure?.check);
    expect(isPinWakeRace(caught)).toBe(false);
    console.log(
      `0a4b84bd mutant caught after ${details.numRuns} schedule(s): ${caught.failure?.check} (${caught.failure?.message})`,
    );
    const correct = loadScenario("ok.yaml", pinWakerText([]));
    let races = 0;
    fc.assert(
      fc.property(schedules, (values) => {
        const result = runWithChoices(correct, values);
        if (isPinWakeRace(result)) {
          races++;
          return;
        }
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
      }),
      { numRuns: 1000 },
    );
    console.log(`correct kernel: 1000 schedules, ${races} ended in OSv's own pin/wake race, none otherwise`);
    expect(races).toBeLessThan(20);
  });
});

describe("#178: reschedule on the wrong CPU", () => {
  it("seeded runs of its bug scenario find sched.wrong-cpu; the correct kernel passes those seeds", () => {
    const bug = loadScenario("scenarios/bugs/178-reschedule-wrong-cpu.yaml");
    const correct = { ...bug, kernel: { ...bug.kernel, variants: [] } };
    let foundAt = 0;
    for (let seed = 1; seed <= 100 && foundAt === 0; seed++) {
      const result = buildScenario(bug, { seed }).run();
      if (result.outcome !== "ok") {
        expect(result.failure?.check).toBe("sched.wrong-cpu");
        foundAt = seed;
      }
    }
    expect(foundAt).toBeGreaterThan(0);
    console.log(`#178 found at seed ${foundAt}`);
    for (let seed = 1; seed <= foundAt; seed++) {
      const result = buildScenario(correct, { seed }).run();
      expect(result.failure).toBeNull();
      expect(result.outcome).toBe("ok");
    }
  });
});
