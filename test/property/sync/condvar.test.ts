// Goal: the condvar with wait morphing gives a correct bounded producer/consumer under any schedule,
// with no spurious wakeup (every return from wait was delivered by a wake). Method: engine processes
// on a ProcessWaitPort under fast-check choice sequences; a consumer that forgets to signal "not full"
// must deadlock, proving the harness sees a lost wakeup.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Condvar, LockfreeMutex, ProcessWaitPort } from "../../../src/kernel/index.js";
import { compute, type Guest, SequenceStrategy, Simulation } from "../../../src/sim/index.js";

function producerConsumer(
  values: readonly number[],
  producers: number,
  items: number,
  capacity: number,
  consumerSignals = true,
) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "m");
  const notEmpty = new Condvar(sim, port, "not_empty");
  const notFull = new Condvar(sim, port, "not_full");
  const buffer: [number, number][] = [];
  const received: [number, number][] = [];
  for (let p = 0; p < producers; p++) {
    port.adopt(
      sim.spawn(`producer${p}`, function* (): Guest {
        for (let i = 0; i < items; i++) {
          yield compute(10);
          yield* mutex.lock();
          while (buffer.length >= capacity) yield* notFull.wait(mutex);
          buffer.push([p, i]);
          yield* notEmpty.wakeOne();
          yield* mutex.unlock();
        }
      }),
    );
  }
  port.adopt(
    sim.spawn("consumer", function* (): Guest {
      for (let n = 0; n < producers * items; n++) {
        yield* mutex.lock();
        while (buffer.length === 0) yield* notEmpty.wait(mutex);
        received.push(buffer.shift()!);
        if (consumerSignals) yield* notFull.wakeOne();
        yield* mutex.unlock();
      }
    }),
  );
  const result = sim.run();
  return { result, received, notEmpty, notFull };
}

describe("condvar with wait morphing", () => {
  it("bounded producer/consumer: every item once, per-producer order, no spurious wakeup (1000 schedules)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { maxLength: 400, size: "max" }), (values) => {
        const { result, received, notEmpty, notFull } = producerConsumer(values, 2, 4, 1);
        expect(result.failure).toBeNull();
        expect(result.outcome).toBe("ok");
        expect(received).toHaveLength(8);
        for (let p = 0; p < 2; p++) {
          expect(received.filter(([from]) => from === p).map(([, i]) => i)).toEqual([0, 1, 2, 3]);
        }
        for (const cv of [notEmpty, notFull]) expect(cv.stats.waits).toBe(cv.stats.wakesDelivered);
      }),
      { numRuns: 1000 },
    );
  });

  it("a consumer that never signals 'not full' leaves a producer asleep: the search finds the deadlock", () => {
    const details = fc.check(
      fc.property(
        fc.array(fc.nat({ max: 5 }), { maxLength: 400, size: "max" }),
        (values) => producerConsumer(values, 2, 4, 1, false).result.outcome === "ok",
      ),
      { numRuns: 1000 },
    );
    expect(details.failed).toBe(true);
    const { result } = producerConsumer(details.counterexample![0], 2, 4, 1, false);
    expect(result.outcome).toBe("deadlock");
    expect(result.reason).toMatch(/blocked: .*producer/);
  });
});
