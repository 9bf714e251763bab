// Goal: ring_spsc works across the 32-bit counter wrap, and the #225 variant's `>=` emptiness test
// hides items once `end` has wrapped. Method: scripted single-thread runs starting near 2^32.
import { describe, expect, it } from "vitest";
import {
  COUNTER_MODULUS,
  counterDistance,
  RingSpsc,
  UnorderedQueueMpsc,
  UnorderedRingMpsc,
} from "../../../../src/kernel/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";

function runOne<R>(body: (sim: Simulation) => () => Guest<R>): { outcome: string; value: R } {
  const sim = new Simulation({ seed: 1 });
  const make = body(sim);
  const process = sim.spawn("t", () => make());
  const result = sim.run();
  return { outcome: result.outcome, value: process.result as R };
}

describe("ring_spsc", () => {
  it("subtracts counters modulo 2^32", () => {
    expect(counterDistance(2, COUNTER_MODULUS - 2)).toBe(4);
    expect(counterDistance(7, 7)).toBe(0);
  });

  it("fills, refuses when full, and drains in order while the counters wrap", () => {
    let ring: RingSpsc | undefined;
    const { outcome, value } = runOne((sim) => {
      const r = new RingSpsc(sim, "r", { capacity: 4, startCounter: COUNTER_MODULUS - 2 });
      ring = r;
      return function* () {
        const pushed: boolean[] = [];
        for (let i = 0; i < 5; i++) pushed.push(yield* r.push(10 + i));
        const popped: (number | undefined)[] = [];
        for (let i = 0; i < 5; i++) popped.push(yield* r.pop());
        return { pushed, popped };
      };
    });
    expect(outcome).toBe("ok");
    expect(value.pushed).toEqual([true, true, true, true, false]);
    expect(value.popped).toEqual([10, 11, 12, 13, undefined]);
    expect(ring!.begin.value).toBe(2);
    expect(ring!.end.value).toBe(2);
  });

  it("issue-225: after end wraps, >= reports empty while items wait; == does not", () => {
    for (const variant of ["correct", "issue-225"] as const) {
      let ring: RingSpsc | undefined;
      const { value } = runOne((sim) => {
        const r = new RingSpsc(sim, "r", { capacity: 4, startCounter: COUNTER_MODULUS - 1, variant });
        ring = r;
        return function* () {
          yield* r.push(1);
          yield* r.push(2); // end wraps to 1 while begin is still 2^32 - 1
          return yield* r.pop();
        };
      });
      if (variant === "correct") expect(value).toBe(1);
      else {
        expect(value).toBeUndefined();
        expect(ring!.size).toBe(2);
      }
    }
  });

  it("rejects a capacity that is not a power of two", () => {
    const sim = new Simulation();
    expect(() => new RingSpsc(sim, "r", { capacity: 6 })).toThrow(/power of two/);
    expect(() => new RingSpsc(sim, "r", { startCounter: COUNTER_MODULUS })).toThrow(/startCounter/);
  });
});

describe("unordered_ring_mpsc and unordered_queue_mpsc", () => {
  it("drains the per-CPU rings in CPU order, each in its push order", () => {
    const { value } = runOne((sim) => {
      const rings = new UnorderedRingMpsc(sim, "u", 3, { capacity: 2 });
      return function* () {
        yield* rings.push(2, 20);
        yield* rings.push(0, 1);
        yield* rings.push(2, 21);
        const full = yield* rings.push(2, 22);
        yield* rings.push(0, 2);
        return { full, items: yield* rings.drain(), empty: yield* rings.empty() };
      };
    });
    expect(value).toEqual({ full: false, items: [1, 2, 20, 21], empty: true });
  });

  it("unordered_queue_mpsc hands over the whole stack, newest first", () => {
    const { value } = runOne((sim) => {
      const q = new UnorderedQueueMpsc<number>(sim, "s");
      return function* () {
        for (let i = 1; i <= 3; i++) yield* q.push(i);
        const first = yield* q.popAll();
        yield* q.push(4);
        return { first, second: yield* q.popAll(), third: yield* q.popAll(), size: q.size };
      };
    });
    expect(value).toEqual({ first: [3, 2, 1], second: [4], third: [], size: 0 });
  });
});
