// Goal: OSv's semaphore (§3.6) on OSv threads on 2-4 vCPUs never lets more units be held than it
// has, accounts for every unit, and lets every thread finish, with timed waits racing posts. Method:
// fast-check choice sequences drive the semaphore-pool program with interrupt injection (1002
// schedules); the 506eb73b variant, whose timed-out wait leaves its record queued, must be caught.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choiceSequences, runWithChoices } from "../../../src/index.js";
import { osvScenario, RUNS_PER_CPU_COUNT } from "./osv-sync-helpers.js";

const CHECKS = ["semaphore-holders", "semaphore-units", "semaphore-progress"];
const params = (variant: string) =>
  `{ units: 2, iterations: 3, max_request: 2, hold: 2us, think: 1us, timeout: 4us, try_every: 3, variant: ${variant} }`;

describe("semaphore on OSv threads", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} vCPUs: holders within the units, every unit accounted for, progress`, () => {
      const s = osvScenario("semaphore-pool", cpus, 3, params("correct"), CHECKS);
      fc.assert(
        fc.property(choiceSequences({ maxLength: 1000, maxValue: 20 }), (values) => {
          const result = runWithChoices(s, values);
          expect(result.failure).toBeNull();
          expect(result.checks.map((c) => c.status)).toEqual(["pass", "pass", "pass"]);
        }),
        { numRuns: RUNS_PER_CPU_COUNT },
      );
    });
  }

  it("the 506eb73b variant (timed-out wait leaves its record) is caught: units granted to a dead record", () => {
    const s = osvScenario("semaphore-pool", 2, 3, params("semaphore-timeout-leaves-record"), CHECKS);
    const details = fc.check(
      fc.property(
        choiceSequences({ maxLength: 1000, maxValue: 20 }),
        (values) => runWithChoices(s, values).outcome === "ok",
      ),
      { numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    const result = runWithChoices(s, details.counterexample![0]);
    expect(result.failure?.check).toBe("semaphore-units");
    expect(result.failure?.message).toMatch(/to dead records [1-9]/);
  });
});
