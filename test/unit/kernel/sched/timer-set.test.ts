// Goal: the timer_set behaves as include/osv/timer-set.hh does (§2.14) on hand-built cases: bucket
// index, the reserved bucket, stale-early next after remove, expiry order, the clock-backwards abort.
// Method: drive a TimerSet directly with plain deadline objects and read back what expire() produced.
import { describe, expect, it } from "vitest";
import {
  leadingZeros63,
  MAX_TIMESTAMP_NS,
  TIMER_SET_PAST_BUCKET,
  TimerSet,
} from "../../../../src/kernel/index.js";

interface T {
  timeNs: number;
  name: string;
}

function make(): { set: TimerSet<T>; backwards: [number, number][] } {
  const backwards: [number, number][] = [];
  const set = new TimerSet<T>((now, last) => {
    backwards.push([now, last]);
    throw new Error("clock went backwards");
  });
  return { set, backwards };
}

function drain(set: TimerSet<T>): string[] {
  const out: string[] = [];
  for (let t = set.popExpired(); t !== null; t = set.popExpired()) out.push(t.name);
  return out;
}

describe("leadingZeros63", () => {
  it("counts leading zeros among the 63 value bits of a signed 64-bit XOR", () => {
    expect(leadingZeros63(1, 0)).toBe(62);
    expect(leadingZeros63(2, 0)).toBe(61);
    expect(leadingZeros63(3, 2)).toBe(62);
    expect(leadingZeros63(2 ** 32, 0)).toBe(30);
    expect(leadingZeros63(2 ** 52, 0)).toBe(10);
    expect(leadingZeros63(2 ** 52 + 5, 2 ** 52 + 4)).toBe(62);
    for (const [a, b] of [
      [123_456_789_012, 123_456_789_013],
      [2 ** 53 - 1, 0],
      [987_654_321, 2 ** 40 + 17],
    ] as const) {
      const bits = (BigInt(a) ^ BigInt(b)).toString(2).length;
      expect(leadingZeros63(a, b)).toBe(63 - bits);
    }
  });
});

describe("timer_set", () => {
  it("buckets by leading zeros of (t XOR last), with t <= last in the reserved bucket 63", () => {
    const { set } = make();
    expect(set.bucketOf(1)).toBe(62);
    expect(set.bucketOf(1000)).toBe(63 - 10);
    expect(set.bucketOf(0)).toBe(TIMER_SET_PAST_BUCKET);
    expect(set.bucketOf(-5)).toBe(TIMER_SET_PAST_BUCKET);
    set.expire(1000);
    expect(set.bucketOf(1000)).toBe(TIMER_SET_PAST_BUCKET);
    expect(set.bucketOf(1001)).toBe(62);
  });

  it("insert answers whether the timer became the earliest; remove leaves next stale-early", () => {
    const { set } = make();
    const a = { timeNs: 500, name: "a" };
    const b = { timeNs: 800, name: "b" };
    expect(set.insert(a)).toBe(true);
    expect(set.insert(b)).toBe(false);
    expect(set.getNextTimeout()).toBe(500);
    set.remove(a);
    // OSv's remove() never updates _next: the next timeout is a's, so the clock event fires early.
    expect(set.getNextTimeout()).toBe(500);
    expect(set.insert({ timeNs: 700, name: "c" })).toBe(false);
    // The early expire finds nothing due and recomputes next exactly.
    set.expire(500);
    expect(drain(set)).toEqual([]);
    expect(set.getNextTimeout()).toBe(700);
  });

  it("get_next_timeout is max(last, next): a timer set in the past makes it 'now'", () => {
    const { set } = make();
    set.expire(1000);
    expect(set.getNextTimeout()).toBe(MAX_TIMESTAMP_NS);
    expect(set.insert({ timeNs: 400, name: "late" })).toBe(true);
    expect(set.getNextTimeout()).toBe(1000);
    set.expire(1000);
    expect(drain(set)).toEqual(["late"]);
  });

  it("expires a batch in bucket order, not deadline order; equal deadlines in insertion order", () => {
    const { set } = make();
    // last = 0: 1 -> bucket 62, 2 and 3 -> bucket 61, 5 -> bucket 60; expire(6): 6 is in bucket 60.
    for (const [timeNs, name] of [
      [3, "t3"],
      [1, "t1"],
      [2, "t2a"],
      [5, "t5"],
      [2, "t2b"],
      [7, "t7"],
    ] as const) {
      set.insert({ timeNs, name });
    }
    set.expire(6);
    // Buckets above now's, ascending (61 then 62: later deadlines first), then now's own bucket.
    expect(drain(set)).toEqual(["t3", "t2a", "t2b", "t1", "t5"]);
    expect(set.size).toBe(1);
    expect(set.getNextTimeout()).toBe(7);
  });

  it("a clock that went backwards reaches the abort hook (OSv asserts)", () => {
    const { set, backwards } = make();
    set.expire(100);
    expect(() => set.expire(99)).toThrow("clock went backwards");
    expect(backwards).toEqual([[99, 100]]);
    // A negative uptime on the very first expire (the #869 boot bug): last starts at 0.
    const fresh = make();
    expect(() => fresh.set.expire(-1_000_000_000)).toThrow();
    expect(fresh.backwards).toEqual([[-1_000_000_000, 0]]);
  });

  it("refuses times that are not safe integers below the sentinel", () => {
    const { set } = make();
    expect(() => set.insert({ timeNs: 1.5, name: "x" })).toThrow(RangeError);
    expect(() => set.insert({ timeNs: MAX_TIMESTAMP_NS, name: "x" })).toThrow(RangeError);
  });
});
