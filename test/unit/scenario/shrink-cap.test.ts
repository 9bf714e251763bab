// Goal: shrink candidates run under an event cap tied to the failing run's length (a candidate that
// wanders into a livelock is cut off early instead of running to the scenario's own limit), while
// the shrunk failure still reproduces under the scenario's real limits.
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

  it("leaves shrinking able to reproduce the failure under the real limits", () => {
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
