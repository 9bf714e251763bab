// Goal: condvar's timed wait (§3.4) on OSv threads on 2-4 vCPUs keeps a bounded buffer correct —
// every item taken once and in order per producer, no wait answering 0 without a wake, ETIMEDOUT
// never early, everyone finishes — while timeouts race wakes and wait morphing. Method: fast-check
// choice sequences drive condvar-producer-consumer with interrupt injection (1002 schedules); a
// mutant whose timeout does not wait for a wake that already took its record must be caught (by
// seeded runs: the race needs timing faults all through the run, beyond a sequence's prefix).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildScenario, choiceSequences, runWithChoices } from "../../../src/index.js";
import { osvScenario, RUNS_PER_CPU_COUNT } from "./osv-sync-helpers.js";

const CHECKS = ["pc-exactly-once", "condvar-no-spurious-wakeup", "pc-progress"];
const params = (variant: string) =>
  `{ consumers: 2, items: 3, capacity: 1, produce: 1us, consume: 2us, timeout: 3us, variant: ${variant} }`;

describe("condvar timed wait on OSv threads", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} vCPUs: exactly once in order, no spurious wakeup, progress`, () => {
      const s = osvScenario("condvar-producer-consumer", cpus, 1, params("correct"), CHECKS);
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

  it("a timeout that skips waiting for the wake that took its record is found by seeded runs (as osv-sim fuzz does)", () => {
    const s = osvScenario("condvar-producer-consumer", 2, 1, params("timeout-skips-dequeued-wait"), CHECKS);
    let failed = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const result = buildScenario(s, { seed }).run();
      // The mutex sent to the thread that then locks it itself is never released: everyone blocks.
      if (result.outcome !== "ok") failed++;
    }
    expect(failed).toBeGreaterThan(0);
  });
});
