// Goal: the checks behind the thread-API property test bite. Method: the stale-wakeup mutant (OSv
// before fix 0a4b84bd: a wakeup left in the old CPU's queue by pin(t, cpu) is honoured there) under
// fast-check-chosen schedules of hopping threads that pin victims another thread keeps waking, next
// to the correct kernel on the same schedules; and the #178 variant (schedule() reads the CPU before
// disabling interrupts) by seeded runs of its bug scenario, next to the correct kernel on the same
// seeds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildScenario, choiceSequences, loadScenario, runWithChoices } from "../../../src/index.js";

// No stalls here: a stalled waker races pin(t, cpu) in OSv itself (pin-wake-double-queue.yaml).
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

describe("the stale-wakeup mutant (before 0a4b84bd)", () => {
  it("is caught, while the correct kernel holds over 1000 schedules of the same scenario", () => {
    const mutant = loadScenario("stale.yaml", pinWakerText(["0a4b84bd-stale-wakeup"]));
    const details = fc.check(
      fc.property(
        choiceSequences({ maxLength: 400 }),
        (values) => runWithChoices(mutant, values).outcome === "ok",
      ),
      { numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    const caught = runWithChoices(mutant, details.counterexample![0]);
    expect(DOUBLE_QUEUE_CHECKS).toContain(caught.failure?.check);
    console.log(
      `0a4b84bd mutant caught after ${details.numRuns} schedule(s): ${caught.failure?.check} (${caught.failure?.message})`,
    );
    const correct = loadScenario("ok.yaml", pinWakerText([]));
    fc.assert(
      fc.property(choiceSequences({ maxLength: 400 }), (values) => {
        const result = runWithChoices(correct, values);
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("#178: reschedule on the wrong CPU", () => {
  it("seeded runs of its bug scenario find sched.wrong-cpu; the correct kernel passes those seeds", () => {
    const bug = loadScenario("scenarios/bugs/178-reschedule-wrong-cpu.yaml");
    const correct = { ...bug, kernel: { ...bug.kernel, variants: [] } };
    let foundAt = 0;
    for (let seed = 1; seed <= 20 && foundAt === 0; seed++) {
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
