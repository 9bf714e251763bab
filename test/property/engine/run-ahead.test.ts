// Goal: run-ahead (Simulation.performNow / computeNow: a vCPU performs its effects and waits out its
// computes inside its own step when nothing else can happen first) changes nothing a user can see:
// with it on and off, every shipped scenario gives the same outcome, digest (every event's time,
// kind, runner and value, and every choice), event, step and timed-event counts and virtual time.
// Method: every scenario under scenarios/ on its own seed, then fast-check-drawn (scenario, seed,
// event cap) triples; runs are capped in events so each stays short (a cut-off run still compares
// everything up to the cut, and ends in the same budget verdict).

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildScenario, loadScenarioFile } from "../../../src/scenario/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FILES = ["examples", "bugs", "sched", "sync"].flatMap((dir) =>
  readdirSync(join(ROOT, "scenarios", dir))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join("scenarios", dir, f)),
);

function fingerprint(file: string, seed: number | undefined, maxEvents: number, runAhead: boolean) {
  const { scenario } = loadScenarioFile(join(ROOT, file));
  scenario.limits.max_events = Math.min(scenario.limits.max_events ?? maxEvents, maxEvents);
  const built = buildScenario(scenario, {
    ...(seed === undefined ? {} : { seed }),
    sim: { runAhead, keepChoiceLog: false },
  });
  const r = built.run();
  return {
    outcome: r.outcome,
    reason: r.reason,
    digest: r.digest,
    events: r.events,
    steps: r.steps,
    timedEvents: r.timedEvents,
    choices: r.choices,
    nonZeroChoices: r.nonZeroChoices,
    runners: r.runners,
    virtualNs: r.virtualNs,
    failure: r.failure,
    checks: r.checks,
  };
}

describe("run-ahead", () => {
  it("covers the shipped scenarios", () => {
    expect(FILES.length).toBeGreaterThan(40);
  });

  for (const file of FILES) {
    it(`${file}: the same run with run-ahead on and off`, () => {
      const on = fingerprint(file, undefined, 40_000, true);
      const off = fingerprint(file, undefined, 40_000, false);
      expect(on).toEqual(off);
    });
  }

  it("the same run on and off for drawn scenarios, seeds and cut-offs", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FILES),
        fc.nat({ max: 1_000_000 }),
        fc.integer({ min: 1, max: 30_000 }),
        (file, seed, maxEvents) => {
          expect(fingerprint(file, seed, maxEvents, true)).toEqual(fingerprint(file, seed, maxEvents, false));
        },
      ),
      { numRuns: 200 },
    );
  });
});
