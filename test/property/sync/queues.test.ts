// Goal: queue_mpsc, ring_spsc (across the 32-bit wrap), unordered_ring_mpsc and unordered_queue_mpsc
// deliver every item exactly once in their promised order under any schedule, and #225 is caught.
// Method: fast-check generates choice sequences (the sequence strategy) and the ring's parameters.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COUNTER_MODULUS, UnorderedQueueMpsc, UnorderedRingMpsc } from "../../../src/kernel/index.js";
import { spawnQueueStress, spawnRingSpsc } from "../../../src/scenario/programs/sync.js";
import { compute, type Guest, SequenceStrategy, Simulation } from "../../../src/sim/index.js";

// size "max": fast-check would otherwise keep arrays short, leaving most choices at the default 0.
const schedules = fc.array(fc.nat({ max: 7 }), { maxLength: 300, size: "max" });

describe("queue_mpsc", () => {
  it("pops every item exactly once, per-producer FIFO, over 1000 schedules", () => {
    fc.assert(
      fc.property(
        schedules,
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0, 5),
        (values, producers, thinkNs) => {
          const sim = new Simulation({ strategy: new SequenceStrategy(values) });
          const { exactlyOnce } = spawnQueueStress(sim, {
            producers,
            items: 4,
            thinkNs,
            checkExactlyOnce: true,
            checkFifo: true,
          });
          sim.addCheck("queue-exactly-once", exactlyOnce);
          const result = sim.run();
          expect(result.failure).toBeNull();
          expect(result.outcome).toBe("ok");
        },
      ),
      { numRuns: 1000 },
    );
  });
});

function ringRun(
  values: readonly number[],
  capacity: number,
  startCounter: number,
  variant: "correct" | "issue-225",
) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const { delivery, ring } = spawnRingSpsc(sim, {
    capacity,
    items: 12,
    startCounter,
    thinkNs: 5,
    variant,
    checkFifo: true,
  });
  sim.addCheck("ring-delivery", delivery);
  return { result: sim.run(), ring };
}

describe("ring_spsc", () => {
  const starts = fc.integer({ min: COUNTER_MODULUS - 16, max: COUNTER_MODULUS - 1 });
  const capacities = fc.constantFrom(1, 2, 4, 8);

  it("delivers every item in order across the counter wrap, over 1000 schedules", () => {
    fc.assert(
      fc.property(schedules, capacities, starts, (values, capacity, start) => {
        const { result, ring } = ringRun(values, capacity, start, "correct");
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
        expect(ring.end.value).toBe((start + 12) % COUNTER_MODULUS);
      }),
      { numRuns: 1000 },
    );
  });

  it("issue-225 hangs producer and consumer once the end counter wraps", () => {
    const details = fc.check(
      fc.property(schedules, capacities, starts, (values, capacity, start) => {
        return ringRun(values, capacity, start, "issue-225").result.outcome === "ok";
      }),
      { numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    const [values, capacity, start] = details.counterexample!;
    const { result, ring } = ringRun(values, capacity, start, "issue-225");
    expect(result.outcome).toBe("deadlock");
    expect(ring.size).toBeGreaterThan(0);
  });
});

describe("unordered_ring_mpsc and unordered_queue_mpsc", () => {
  it("deliver every item exactly once (per-CPU FIFO for the rings), over 1000 schedules", () => {
    fc.assert(
      fc.property(schedules, (values) => {
        const sim = new Simulation({ strategy: new SequenceStrategy(values) });
        const rings = new UnorderedRingMpsc(sim, "rings", 2, {
          capacity: 2,
          startCounter: COUNTER_MODULUS - 3,
        });
        const stack = new UnorderedQueueMpsc<number>(sim, "stack");
        const fromRings: number[] = [];
        const fromStack: number[] = [];
        const items = 4;
        for (let cpu = 0; cpu < 2; cpu++) {
          sim.spawn(`producer${cpu}`, function* (): Guest {
            for (let i = 0; i < items; i++) {
              const item = cpu * 100 + i;
              while (!(yield* rings.push(cpu, item))) yield compute(7);
              yield* stack.push(item);
            }
          });
        }
        sim.spawn("consumer", function* (): Guest {
          for (let round = 0; fromRings.length < 2 * items || fromStack.length < 2 * items; round++) {
            sim.assert(round < 1000, "consumer-bound", "items never arrived");
            fromRings.push(...(yield* rings.drain()));
            fromStack.push(...(yield* stack.popAll()));
            yield compute(3);
          }
        });
        const result = sim.run();
        expect(result.outcome).toBe("ok");
        const expected = [0, 1, 2, 3, 100, 101, 102, 103];
        expect([...fromStack].sort((a, b) => a - b)).toEqual(expected);
        expect([...fromRings].sort((a, b) => a - b)).toEqual(expected);
        for (const cpu of [0, 1]) {
          const mine = fromRings.filter((v) => Math.floor(v / 100) === cpu);
          expect(mine).toEqual([...mine].sort((a, b) => a - b));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("queue_mpsc planted mutant", () => {
  it("refill-without-reverse breaks per-producer FIFO under some schedule, and the check says so", () => {
    const run = (values: readonly number[]) => {
      const sim = new Simulation({ strategy: new SequenceStrategy(values) });
      spawnQueueStress(sim, {
        producers: 2,
        items: 3,
        thinkNs: 0,
        variant: "refill-without-reverse",
        checkExactlyOnce: true,
        checkFifo: true,
      });
      return sim.run();
    };
    const details = fc.check(
      fc.property(schedules, (values) => run(values).outcome === "ok"),
      { numRuns: 1000 },
    );
    expect(details.failed).toBe(true);
    expect(run(details.counterexample![0]).failure?.check).toBe("queue-producer-fifo");
  });
});
