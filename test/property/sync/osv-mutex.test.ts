// Goal: lockfree::mutex keeps exclusion and loses no wakeup when its threads are OSv threads on 2-4
// vCPUs with preemption and interrupts (the scheduler's real wait/wake through WaitPort). Method:
// fast-check choice sequences drive the osv-mutex-counter scenario with interrupt injection, so a
// preemption can land between any two steps of lock and unlock.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildScenario, choiceSequences, loadScenario, runWithChoices } from "../../../src/index.js";

function scenario(cpus: number) {
  const pins = Array.from({ length: 4 }, (_, i) => i % cpus).join(", ");
  return loadScenario(
    `osv-mutex-${cpus}.yaml`,
    `name: osv-mutex-${cpus}
machine: { cpus: ${cpus} }
duration: 5ms
faults:
  - { kind: interrupt-injection, probability: 0.05 }
  - { kind: compute-jitter, probability: 0.3, max: 300ns }
workloads:
  - program: osv-mutex-counter
    threads: 4
    pin: [${pins}]
    params: { increments: 5, work: 100ns, think: 200ns }
checks: [mutual-exclusion, mutex-counter-total]
`,
  );
}

describe("lockfree::mutex on OSv threads", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} vCPUs: exclusion and every increment, under chosen schedules and injected interrupts`, () => {
      const s = scenario(cpus);
      fc.assert(
        fc.property(choiceSequences({ maxLength: 300, maxValue: 20 }), (values) => {
          const result = runWithChoices(s, values);
          expect(result.failure).toBeNull();
          expect(result.checks).toEqual([
            { name: "mutual-exclusion", status: "pass" },
            { name: "mutex-counter-total", status: "pass" },
          ]);
        }),
        { numRuns: 340 },
      );
    });
  }

  it("the mutant that skips the hand-off check is found by seeded runs (as osv-sim fuzz does)", () => {
    const s = loadScenario("scenarios/bugs/osv-mutex-lock-skips-handoff-check.yaml");
    let failed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const result = buildScenario(s, { seed }).run();
      if (result.outcome !== "ok") {
        expect(result.failure?.check).toBe("mutex-counter-total");
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(0);
  });
});
