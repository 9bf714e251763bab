// Goal: OSv's waitqueue (§3.5) under wait_for with timeouts on OSv threads on 2-4 vCPUs keeps its
// FIFO whole, returns every waiter holding the mutex, never reports more woken returns than wakes
// and never times out early, and conserves tokens. Method: fast-check choice sequences drive the
// waitqueue-wait-for program with interrupt injection (1002 schedules); #1285's stale-tail variant
// must be caught by the list check.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choiceSequences, runWithChoices } from "../../../src/index.js";
import { osvScenario, RUNS_PER_CPU_COUNT } from "./osv-sync-helpers.js";

const CHECKS = ["waitqueue-list", "waitqueue-wakeups", "waitqueue-tokens", "waitqueue-progress"];
const params = (variant: string) =>
  `{ wakers: 1, rounds: 3, wakes: 4, timeout: 6us, wake_all_every: 2, think: 2us, work: 500ns, variant: ${variant} }`;

describe("waitqueue and wait_for on OSv threads", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} vCPUs: whole FIFO, mutex held on return, no early timeout, tokens conserved`, () => {
      const s = osvScenario("waitqueue-wait-for", cpus, 3, params("correct"), CHECKS);
      fc.assert(
        fc.property(choiceSequences({ maxLength: 1000, maxValue: 20 }), (values) => {
          const result = runWithChoices(s, values);
          expect(result.failure).toBeNull();
          expect(result.checks.map((c) => c.status)).toEqual(["pass", "pass", "pass", "pass"]);
        }),
        { numRuns: RUNS_PER_CPU_COUNT },
      );
    });
  }

  it("#1285's stale tail (disarm moves newest when removing the record before the tail) is caught", () => {
    const s = osvScenario("waitqueue-wait-for", 2, 3, params("waitqueue-stale-tail"), CHECKS);
    const details = fc.check(
      fc.property(
        choiceSequences({ maxLength: 1000, maxValue: 20 }),
        (values) => runWithChoices(s, values).outcome === "ok",
      ),
      { numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    expect(runWithChoices(s, details.counterexample![0]).failure?.check).toBe("waitqueue-list");
  });
});
