// Goal: the choice shrinker finds small failing sequences and keeps only candidates that still fail.
// Method: synthetic failure predicates with a known minimum.
import { describe, expect, it } from "vitest";
import { shrinkChoices, simpler } from "../../../src/sim/index.js";

const attempt = (fails: (v: readonly number[]) => boolean) => (values: readonly number[]) => ({
  fails: fails(values),
  consumed: values,
});

describe("shrinkChoices", () => {
  it("reduces a long sequence to the one value that matters", () => {
    const initial = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 5);
    initial[2500] = 9;
    const result = shrinkChoices(
      initial,
      attempt((v) => v.includes(9)),
      5000,
    );
    expect(result.values).toEqual([9]);
    expect(result.budgetExhausted).toBe(false);
  });

  it("lowers values towards the smallest that still fails", () => {
    const result = shrinkChoices(
      [0, 0, 50, 3, 0, 7],
      attempt((v) => (v[2] ?? 0) >= 13),
      1000,
    );
    expect(result.values).toEqual([0, 0, 13]);
  });

  it("never returns a sequence that does not fail, and respects its budget", () => {
    const result = shrinkChoices(
      [4, 4, 4, 4],
      attempt((v) => v.filter((x) => x > 0).length >= 3),
      7,
    );
    expect(result.attempts).toBeLessThanOrEqual(7);
    expect(result.values.filter((x) => x > 0).length).toBeGreaterThanOrEqual(3);
  });

  it("orders candidates shortlex: shorter, then fewer non-zero, then smaller", () => {
    expect(simpler([1], [0, 0])).toBe(true);
    expect(simpler([0, 5], [1, 1])).toBe(true);
    expect(simpler([0, 2], [0, 3])).toBe(true);
    expect(simpler([0, 3], [0, 3])).toBe(false);
  });
});
