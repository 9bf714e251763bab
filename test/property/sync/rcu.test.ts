// Goal: OSv's RCU on the scheduler model keeps its promises on 2-4 vCPUs under any schedule: a
// callback runs only after every CPU passed a quiescent state since its rcu_defer, runs once, no
// reader dereferences a disposed object, list walks stay whole, and every deferred callback runs.
// Method: fast-check choice sequences drive the rcu-readers program (with interrupt injection, so an
// interrupt — a preemption point — may land after any step, and tiny defer buffers, so rcu_defer
// blocks); the planted rcu-early-callbacks mutant must be caught the same way.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildScenario, choiceSequences, loadScenario, runWithChoices } from "../../../src/index.js";

const CHECKS = ["rcu-safety", "rcu-once", "rcu-use-after-free", "rcu-list-shape", "rcu-progress"];

function scenario(cpus: number, variants: string[] = []) {
  const readers = Array.from({ length: 3 }, (_, i) => (i + 1) % cpus).join(", ");
  return loadScenario(
    `rcu-${cpus}.yaml`,
    `name: rcu-${cpus}
machine: { cpus: ${cpus}, memory: 1MiB }
kernel: { variants: [${variants.join(", ")}] }
limits: { max_virtual_time: 100ms }
faults:
  - { kind: interrupt-injection, probability: 0.05 }
  - { kind: compute-jitter, probability: 0.3, max: 1us }
workloads:
  - program: rcu-readers
    threads: 3
    pin: [${readers}]
    params:
      elements: 3
      reads: 4
      read_work: 1us
      think: 1us
      pause: 1us
      updaters: 2
      updater_cpus: [0, ${cpus - 1}]
      updates: 4
      update_think: 1us
      synchronize_every: 2
      defer_queue_size: 2
checks: [${CHECKS.join(", ")}]
`,
  );
}

describe("RCU on OSv threads", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} vCPUs: every RCU check holds under chosen schedules and injected interrupts`, () => {
      const s = scenario(cpus);
      fc.assert(
        fc.property(choiceSequences({ maxLength: 400, maxValue: 20 }), (values) => {
          const result = runWithChoices(s, values);
          expect(result.failure).toBeNull();
          expect(result.checks).toEqual(CHECKS.map((name) => ({ name, status: "pass" })));
        }),
        { numRuns: 340 },
      );
    });
  }

  it("the rcu-early-callbacks mutant is caught under chosen schedules", () => {
    const s = scenario(3, ["rcu-early-callbacks"]);
    const details = fc.check(
      fc.property(choiceSequences({ maxLength: 400, maxValue: 20 }), (values) => {
        return runWithChoices(s, values).outcome === "ok";
      }),
      { numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    const found = runWithChoices(s, details.counterexample![0]);
    expect(["rcu-safety", "rcu-use-after-free"]).toContain(found.failure?.check);
  });

  it("without rcu-safety, the mutant's bug scenario reaches a reader's use-after-free (seeded runs)", () => {
    const s = loadScenario("scenarios/bugs/rcu-early-callbacks.yaml");
    s.checks = CHECKS.filter((c) => c !== "rcu-safety");
    let caught = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const result = buildScenario(s, { seed }).run();
      if (result.outcome !== "ok") expect(result.failure?.check).toBe("rcu-use-after-free");
      if (result.failure?.check === "rcu-use-after-free") caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });
});
