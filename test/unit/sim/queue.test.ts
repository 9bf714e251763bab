// Goal: every event-queue implementation pops in the same strict (time, seq) order; method: a
// fast-check property drives all three with the same random push/pop/peek programs and compares them
// (popped order, and what size and earliestTime answer between operations).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEventQueue, type QueueKind, QueueLimitError } from "../../../src/sim/index.js";

const KINDS: QueueKind[] = ["wheel", "typed", "heap-js"];

type Operation = { push: true; deltaNs: number } | { push: false; peek?: boolean };

const operation = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      push: fc.constant(true as const),
      deltaNs: fc.oneof(fc.nat(8), fc.nat(5000), fc.nat(10_000_000)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ push: fc.constant(false as const) }) },
  // A look at the earliest time and the size only (the wheel caches where its head is).
  { weight: 1, arbitrary: fc.record({ push: fc.constant(false as const), peek: fc.constant(true) }) },
);

function play(kind: QueueKind, ops: readonly Operation[]): string[] {
  const queue = createEventQueue<string>(kind);
  const popped: string[] = [];
  let now = 0;
  let seq = 0;
  for (const op of ops) {
    if (op.push) {
      const id = seq++;
      queue.push(now + op.deltaNs, id, `e${id}`, id * 2);
    } else if (op.peek === true) {
      const earliest = queue.earliestTime();
      if (queue.size === 0) expect(earliest).toBe(Number.POSITIVE_INFINITY);
      else expect(earliest).toBe(queue.peekTime());
      popped.push(`size ${queue.size} earliest ${earliest}`);
    } else if (queue.size > 0) {
      const peeked = queue.peekTime();
      const peekedItem = queue.peekItem();
      const peekedArg = queue.peekArg();
      const item = queue.pop();
      expect(queue.poppedTimeNs).toBe(peeked);
      expect(item).toBe(peekedItem);
      expect(queue.poppedArg).toBe(peekedArg);
      expect(queue.poppedTimeNs).toBeGreaterThanOrEqual(now);
      expect(queue.poppedArg).toBe(queue.poppedSeq * 2);
      now = queue.poppedTimeNs;
      popped.push(`${item}@${now}`);
    }
  }
  while (queue.size > 0) {
    const item = queue.pop();
    popped.push(`${item}@${queue.poppedTimeNs}`);
  }
  return popped;
}

describe("event queues", () => {
  it("agree with each other on random programs", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (ops) => {
        const reference = play("heap-js", ops);
        for (const kind of KINDS) expect(play(kind, ops)).toEqual(reference);
      }),
      { numRuns: 1000 },
    );
  });

  it.each(KINDS)("%s refuses exactly the push past its limit, near or far, and stays usable", (kind) => {
    for (const limit of [1, 3, 1500]) {
      for (const spacingNs of [1, 10_000]) {
        const queue = createEventQueue<number>(kind, limit);
        for (let i = 0; i < limit; i++) queue.push(i * spacingNs, i, i, 0);
        expect(() => queue.push(limit * spacingNs, limit, limit, 0)).toThrow(QueueLimitError);
        expect(queue.size).toBe(limit);
        expect(queue.pop()).toBe(0);
        queue.push(limit * spacingNs, limit, limit, 0);
        expect(queue.size).toBe(limit);
      }
    }
  });

  /** Pushes `[time, item]` pairs with seq 0, 1, … and answers the items in pop order. */
  function popOrder(kind: QueueKind, events: [number, string][]): string[] {
    const queue = createEventQueue<string>(kind);
    for (const [seq, [timeNs, item]] of events.entries()) queue.push(timeNs, seq, item, 0);
    const order: string[] = [];
    while (queue.size > 0) order.push(queue.pop());
    return order;
  }

  it.each(KINDS)("%s orders equal times by seq, and time before seq", (kind) => {
    const events: [number, string][] = [
      [10, "a"],
      [5, "b"],
      [10, "c"],
      [5, "d"],
      [100_000, "far"],
    ];
    expect(popOrder(kind, events)).toEqual(["b", "d", "a", "c", "far"]);
  });

  it.each(KINDS)("%s keeps seq order when an earlier push displaces an event of a busy time", (kind) => {
    // The wheel keeps its earliest event in a front register; a later push at time 0 sends "a" back
    // into the slot that already holds "b", where it must still come first.
    const events: [number, string][] = [
      [7, "a"],
      [7, "b"],
      [0, "c"],
      [7, "d"],
    ];
    expect(popOrder(kind, events)).toEqual(["c", "a", "b", "d"]);
  });

  it.each(KINDS)("%s refuses to grow past its limit", (kind) => {
    const queue = createEventQueue<number>(kind, 1024);
    expect(() => {
      for (let i = 0; i < 5000; i++) queue.push(i * 10_000, i, i, 0);
    }).toThrow(/limit/);
  });
});
