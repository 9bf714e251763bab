// Goal: over random sequences of insert / remove / expire, OSv's timer_set (§2.14) expires exactly
// the timers a plain list says are due, in exactly the order OSv's buckets give (buckets above now's
// in ascending index, each in insertion order, then now's own bucket's due timers; so equal
// deadlines in insertion order), and its next timeout is never later than the earliest timer and
// exact after an expire. Method: fast-check generates operation lists relative to the current
// `last`; a reference list of (deadline, insertion number) computes the expected batch from that
// rule independently of the bucket lists. The planted mutant (next from the farthest bucket) must
// be caught, and the deadline-sorted order a sorted list would give must be told apart.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  leadingZeros63,
  MAX_TIMESTAMP_NS,
  TIMER_SET_PAST_BUCKET,
  TimerSet,
  type TimerSetVariant,
} from "../../../src/kernel/index.js";

interface Entry {
  timeNs: number;
  /** Insertion number (a fresh one per insert). */
  seq: number;
}

type Op =
  | { kind: "insert"; offset: number }
  | { kind: "remove"; pick: number }
  | { kind: "expire"; delta: number }
  | { kind: "insert-same"; pick: number };

const offset = fc.oneof(
  fc.integer({ min: -5000, max: 0 }), // at or before last: the reserved bucket
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 1, max: 1 << 20 }),
  fc.integer({ min: 1, max: 2 ** 40 }),
);
const delta = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 ** 41 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: offset.map((o) => ({ kind: "insert" as const, offset: o })) },
  { weight: 1, arbitrary: fc.nat().map((p) => ({ kind: "insert-same" as const, pick: p })) },
  { weight: 2, arbitrary: fc.nat().map((p) => ({ kind: "remove" as const, pick: p })) },
  { weight: 2, arbitrary: delta.map((d) => ({ kind: "expire" as const, delta: d })) },
);
const ops = fc.array(op, { minLength: 1, maxLength: 120 });

/** The bucket of `t` against `last` (the reference's own statement of OSv's rule). */
function bucket(t: number, last: number): number {
  return t <= last ? TIMER_SET_PAST_BUCKET : leadingZeros63(t, last);
}

/** The batch OSv's expire(now) produces, from the active timers and the previous last. */
function expectedBatch(active: readonly Entry[], last: number, now: number): Entry[] {
  const index = bucket(now, last);
  const above = active
    .filter((e) => bucket(e.timeNs, last) > index)
    .sort((a, b) => bucket(a.timeNs, last) - bucket(b.timeNs, last) || a.seq - b.seq);
  const own = active
    .filter((e) => bucket(e.timeNs, last) === index && e.timeNs <= now)
    .sort((a, b) => a.seq - b.seq);
  return [...above, ...own];
}

/** Runs `list` on a fresh set; throws (an expect failure) at the first departure from the reference. */
function check(list: readonly Op[], variant: TimerSetVariant, order: "osv" | "sorted" = "osv"): void {
  const set = new TimerSet<Entry>(
    () => {
      throw new Error("clock went backwards");
    },
    4096,
    variant,
  );
  let active: Entry[] = [];
  let last = 0;
  let seq = 0;
  for (const o of list) {
    if (o.kind === "insert" || o.kind === "insert-same") {
      const timeNs =
        o.kind === "insert" || active.length === 0
          ? last + (o.kind === "insert" ? o.offset : 1)
          : active[o.pick % active.length]!.timeNs;
      const entry = { timeNs, seq: seq++ };
      set.insert(entry);
      active.push(entry);
    } else if (o.kind === "remove") {
      if (active.length === 0) continue;
      const entry = active[o.pick % active.length]!;
      set.remove(entry);
      active = active.filter((e) => e !== entry);
    } else {
      const now = last + o.delta;
      const expected =
        order === "osv"
          ? expectedBatch(active, last, now)
          : active.filter((e) => e.timeNs <= now).sort((a, b) => a.timeNs - b.timeNs || a.seq - b.seq);
      set.expire(now);
      const batch: Entry[] = [];
      for (let e = set.popExpired(); e !== null; e = set.popExpired()) batch.push(e);
      // The same timers as a plain list's due set...
      expect(new Set(batch)).toEqual(new Set(active.filter((e) => e.timeNs <= now)));
      // ...in OSv's order, in which equal deadlines keep insertion order.
      expect(batch).toEqual(expected);
      for (let i = 1; i < batch.length; i++) {
        if (batch[i]!.timeNs === batch[i - 1]!.timeNs)
          expect(batch[i]!.seq).toBeGreaterThan(batch[i - 1]!.seq);
      }
      active = active.filter((e) => e.timeNs > now);
      last = now;
      // Exact after an expire: the earliest remaining deadline.
      const earliest = active.reduce((m, e) => Math.min(m, e.timeNs), MAX_TIMESTAMP_NS);
      expect(set.getNextTimeout()).toBe(earliest);
    }
    expect(set.size).toBe(active.length);
    // Never late: a stale next after a remove is early, which only costs a spurious interrupt.
    if (active.length > 0) {
      const earliest = active.reduce((m, e) => Math.min(m, e.timeNs), MAX_TIMESTAMP_NS);
      expect(set.getNextTimeout()).toBeLessThanOrEqual(Math.max(last, earliest));
    }
    expect(set.getNextTimeout()).toBeGreaterThanOrEqual(last);
  }
}

describe("timer_set against a reference list", () => {
  it("expires the due timers in OSv's bucket order; next is never late and exact after expire", () => {
    fc.assert(
      fc.property(ops, (list) => check(list, "correct")),
      { numRuns: 1500 },
    );
  });

  it("catches the planted mutant that recomputes next from the farthest bucket", () => {
    const result = fc.check(
      fc.property(ops, (list) => check(list, "next-from-lowest-bucket")),
      { numRuns: 1500 },
    );
    expect(result.failed).toBe(true);
  });

  it("tells OSv's batch order apart from deadline order (a sorted list's)", () => {
    const result = fc.check(
      fc.property(ops, (list) => check(list, "correct", "sorted")),
      { numRuns: 1500 },
    );
    expect(result.failed).toBe(true);
  });
});
