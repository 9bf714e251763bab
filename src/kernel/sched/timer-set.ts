// OSv's timer_set (include/osv/timer-set.hh; osv-internals.md §2.14): 64 buckets that defer sorting
// until expiry. A timer at t > last goes to bucket clz(t XOR last) over the 63 value bits of a signed
// 64-bit ns timestamp (a higher index is closer to `last`, hence earlier); t <= last goes to the
// reserved bucket 63. expire(now) refuses a clock that went backwards (OSv asserts), moves every
// bucket above now's to the expired list, re-buckets now's own bucket, and recomputes `next` from
// the highest non-empty bucket only; remove() never touches `next`, so get_next_timeout() =
// max(last, next) may be stale-early (a spurious interrupt, harmless). Within a bucket timers keep
// list order, so equal deadlines expire in the order they were inserted; across buckets a batch
// comes out in bucket order, which is not deadline order. Deliberate differences: the lists are JS
// arrays (removal is O(bucket)), the bucket bitset is recomputed from their lengths, and the
// "no timer" sentinel is Number.MAX_SAFE_INTEGER (OSv: INT64_MAX): times are safe integers. One
// planted mutant, "next-from-lowest-bucket" (get_first_set where OSv has get_last_set), recomputes
// `next` from the farthest bucket, so the next timeout can be late; the property test must catch it.

import { removeAt } from "../../sim/index.js";

/** What the set needs of a timer: its deadline, which must not change while the timer is in the set. */
export interface TimerSetEntry {
  readonly timeNs: number;
}

export type TimerSetVariant = "correct" | "next-from-lowest-bucket";
export const TIMER_SET_VARIANTS: readonly TimerSetVariant[] = ["correct", "next-from-lowest-bucket"];

export const TIMER_SET_BUCKETS = 64;
/** The reserved bucket for timers at or before `last`. */
export const TIMER_SET_PAST_BUCKET = TIMER_SET_BUCKETS - 1;
/** OSv's max_timestamp: the `next` of an empty set. */
export const MAX_TIMESTAMP_NS = Number.MAX_SAFE_INTEGER;

const TWO_32 = 2 ** 32;

/**
 * Leading zeros of `a XOR b` among the 63 value bits of a signed 64-bit integer (OSv's
 * count_leading_zeros(long): clzl minus the sign bit), for non-negative safe integers a != b.
 */
export function leadingZeros63(a: number, b: number): number {
  const high = (Math.floor(a / TWO_32) ^ Math.floor(b / TWO_32)) >>> 0;
  const low = ((a >>> 0) ^ (b >>> 0)) >>> 0;
  const clz64 = high !== 0 ? Math.clz32(high) : 32 + Math.clz32(low);
  return clz64 - 1;
}

export class TimerSet<T extends TimerSetEntry> {
  private readonly buckets: T[][] = Array.from({ length: TIMER_SET_BUCKETS }, () => []);
  private readonly expired: T[] = [];
  private expiredHead = 0;
  private lastNs = 0;
  private nextNs = MAX_TIMESTAMP_NS;
  private count = 0;

  constructor(
    /**
     * Called when expire() is given a time before the last one (OSv: assert, so the kernel aborts);
     * the kernel turns it into a model check failure. It must not return normally.
     */
    private readonly onClockBackwards: (nowNs: number, lastNs: number) => never,
    /** Limit on timers in the set. */
    private readonly limit = 4096,
    private readonly variant: TimerSetVariant = "correct",
  ) {}

  /** The time passed to the last expire() (0 before any). */
  get last(): number {
    return this.lastNs;
  }

  /** The cached earliest deadline (stale-early after a remove). */
  get next(): number {
    return this.nextNs;
  }

  /** Timers in the active set. */
  get size(): number {
    return this.count;
  }

  /** Whether the active set is empty (OSv: no non-empty bucket). */
  get empty(): boolean {
    return this.count === 0;
  }

  /** The bucket a deadline belongs in, relative to the current `last`. */
  bucketOf(timeNs: number): number {
    if (timeNs <= this.lastNs) return TIMER_SET_PAST_BUCKET;
    const index = leadingZeros63(timeNs, this.lastNs);
    if (!(index >= 0 && index < TIMER_SET_PAST_BUCKET))
      throw new Error(`timer_set: bucket ${index} for ${timeNs} against last ${this.lastNs}`);
    return index;
  }

  /** Adds a timer; answers whether it is earlier than the cached next (the caller then rearms). */
  insert(timer: T): boolean {
    checkTime(timer.timeNs);
    if (this.count >= this.limit) throw new Error(`timer_set: more than ${this.limit} timers`);
    this.buckets[this.bucketOf(timer.timeNs)]!.push(timer);
    this.count++;
    if (timer.timeNs < this.nextNs) {
      this.nextNs = timer.timeNs;
      return true;
    }
    return false;
  }

  /** Removes an active timer. `next` is left as it is, even if it was this timer's deadline. */
  remove(timer: T): void {
    const bucket = this.buckets[this.bucketOf(timer.timeNs)]!;
    const index = bucket.indexOf(timer);
    // The bucket invariant (bucket = clz(t XOR last)) survives every expire: a miss is a model bug.
    if (index < 0) throw new Error("timer_set: the timer is not in its bucket");
    removeAt(bucket, index);
    this.count--;
  }

  /** Moves every active timer with deadline <= now to the expired list (see pop_expired). */
  expire(nowNs: number): void {
    checkTime(nowNs);
    if (nowNs < this.lastNs) this.onClockBackwards(nowNs, this.lastNs);
    const index = this.bucketOf(nowNs);
    for (let i = index + 1; i < TIMER_SET_BUCKETS; i++) {
      const bucket = this.buckets[i]!;
      for (const timer of bucket) this.expired.push(timer);
      this.count -= bucket.length;
      bucket.length = 0;
    }
    this.lastNs = nowNs;
    this.nextNs = MAX_TIMESTAMP_NS;
    const own = this.buckets[index]!.splice(0);
    this.count -= own.length;
    for (const timer of own) {
      if (timer.timeNs <= nowNs) this.expired.push(timer);
      else this.insert(timer);
    }
    if (this.nextNs === MAX_TIMESTAMP_NS && this.count > 0) {
      // The highest non-empty bucket is the closest to `last`: it holds the earliest timers.
      const bucket =
        this.buckets[this.variant === "correct" ? this.highestNonEmpty() : this.lowestNonEmpty()]!;
      for (const timer of bucket) this.nextNs = Math.min(this.nextNs, timer.timeNs);
    }
  }

  private highestNonEmpty(): number {
    for (let i = TIMER_SET_BUCKETS - 1; i > 0; i--) if (this.buckets[i]!.length > 0) return i;
    return 0;
  }

  private lowestNonEmpty(): number {
    for (let i = 0; i < TIMER_SET_BUCKETS - 1; i++) if (this.buckets[i]!.length > 0) return i;
    return TIMER_SET_BUCKETS - 1;
  }

  /** Takes the next expired timer, or null when none is left. */
  popExpired(): T | null {
    if (this.expiredHead >= this.expired.length) return null;
    const timer = this.expired[this.expiredHead++]!;
    if (this.expiredHead === this.expired.length) {
      this.expired.length = 0;
      this.expiredHead = 0;
    }
    return timer;
  }

  /** When expire() should next be called: max(last, next); monotonically non-decreasing. */
  getNextTimeout(): number {
    return Math.max(this.lastNs, this.nextNs);
  }

  /** The active timers, bucket by bucket from 0 (for tests and reports). */
  *active(): IterableIterator<T> {
    for (const bucket of this.buckets) yield* bucket;
  }
}

function checkTime(ns: number): void {
  if (!(Number.isSafeInteger(ns) && ns < MAX_TIMESTAMP_NS))
    throw new RangeError(`timer_set: time ${ns} is not a safe integer below the sentinel`);
}
