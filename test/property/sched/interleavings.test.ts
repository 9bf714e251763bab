// Goal: under fast-check-chosen interleavings of 2-4 CPUs, the scheduler's invariants hold (legal
// status transitions, a running thread never queued — both asserted inside the model) and no wakeup
// is lost (every ping-pong round and every join completes). Method: SequenceStrategy runs of a mixed
// scenario; a lost wakeup would leave the run without its hand-offs and fail the end checks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choiceSequences, loadScenario, runWithChoices } from "../../../src/index.js";

function scenarioText(cpus: number): string {
  return `name: sched-mix
machine: { cpus: ${cpus} }
faults: [{ kind: compute-jitter, probability: 0.3, max: 2us }]
workloads:
  - { program: ping-pong, threads: 2, pin: [0, ${cpus - 1}], params: { rounds: 15 } }
  - { program: thread-churn, threads: 1, params: { iterations: 4, work: 3us } }
  - { program: sleeper, threads: 1, pin: [${cpus - 1}], params: { sleep: 20us, count: 3 } }
`;
}

describe("scheduler under chosen interleavings", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} CPUs: no illegal transition, no queued running thread, no lost wakeup`, () => {
      const scenario = loadScenario("sched-mix.yaml", scenarioText(cpus));
      fc.assert(
        fc.property(choiceSequences({ maxLength: 300 }), (values) => {
          const result = runWithChoices(scenario, values);
          expect(result.failure).toBeNull();
          expect(result.outcome).toBe("ok");
          expect(result.checks.map((c) => c.status)).toEqual(result.checks.map(() => "pass"));
        }),
        { numRuns: 60 },
      );
    });
  }
});
