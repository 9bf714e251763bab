// Goal: the event cap for shrink candidates is tied to the failing run's length, floored and bounded
// by the scenario's limit, and shrinking under it still ends on a sequence that fails the same way
// under the scenario's own limits. (That the cap stops a livelocked candidate early is shown by the
// pin-wake shrink in traces/README.md, too slow for a unit test.)
import { describe, expect, it } from "vitest";
import {
  failureSignature,
  parseScenario,
  runSequence,
  SHRINK_EVENT_FACTOR,
  SHRINK_MIN_EVENTS,
  shrinkEventCap,
  shrinkFailure,
} from "../../../src/scenario/index.js";

const scenario = (limits: string) =>
  parseScenario(
    `name: t\n${limits}workloads: [{ program: counter, threads: 2, params: { increments: 5, racy: true } }]\n`,
    "t.yaml",
  );

describe("shrink event cap", () => {
  it("is a multiple of the failing run's events, at least the floor, at most the scenario's limit", () => {
    const open = scenario("");
    expect(shrinkEventCap(open, 10)).toBe(SHRINK_MIN_EVENTS);
    expect(shrinkEventCap(open, 1_000_000)).toBe(SHRINK_EVENT_FACTOR * 1_000_000);
    expect(shrinkEventCap(open, 1e9)).toBe(10_000_000);
    expect(shrinkEventCap(scenario("limits: { max_events: 50000 }\n"), 10)).toBe(50_000);
  });

  it("shrinks under the cap to a sequence that still fails the same way under the scenario's own limits", () => {
    const s = scenario("");
    // Find a failing schedule of the racy counter: alternate the two threads.
    const values = Array.from({ length: 40 }, (_, i) => i % 2);
    const { result } = runSequence(s, values);
    const signature = failureSignature(result);
    expect(signature).toBe("violation:counter-total");
    const shrunk = shrinkFailure(s, values, signature!, 200);
    expect(failureSignature(runSequence(s, shrunk.values).result)).toBe(signature);
    expect(shrunk.values.length).toBeLessThanOrEqual(values.length);
  });
});
