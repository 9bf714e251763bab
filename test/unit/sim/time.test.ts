// Goal: durations parse exactly into integer nanoseconds and format back readably; bad input is a clear error.
import { describe, expect, it } from "vitest";
import { assertTimeNs, DurationError, formatDuration, parseDuration } from "../../../src/sim/index.js";

describe("parseDuration", () => {
  it.each([
    ["250ns", 250],
    ["100us", 100_000],
    ["100µs", 100_000],
    ["5ms", 5_000_000],
    ["2s", 2_000_000_000],
    ["0.1s", 100_000_000],
    ["1.5ms", 1_500_000],
    ["1m", 60_000_000_000],
    ["42", 42],
    [" 7 ms ", 7_000_000],
  ])("%s is %d ns", (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it.each(["", "ms", "5 parsecs", "-5ms", "1.5ns", "1e3ms", "5msx"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
  });

  it("rejects values beyond safe integers", () => {
    expect(() => parseDuration("200000000h")).toThrow(/too large/);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [999, "999ns"],
    [1_000, "1us"],
    [1_500, "1.5us"],
    [5_000_000, "5ms"],
    [2_000_000_000, "2s"],
    [1_234_567_890, "1.235s"],
  ])("%d ns formats as %s", (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it("round-trips exact unit values", () => {
    for (const text of ["250ns", "100us", "5ms", "2s"])
      expect(formatDuration(parseDuration(text))).toBe(text);
  });
});

describe("assertTimeNs", () => {
  it("accepts safe non-negative integers and rejects the rest", () => {
    expect(assertTimeNs(0)).toBe(0);
    expect(() => assertTimeNs(-1)).toThrow(RangeError);
    expect(() => assertTimeNs(1.5)).toThrow(RangeError);
    expect(() => assertTimeNs(2 ** 53)).toThrow(RangeError);
  });
});
