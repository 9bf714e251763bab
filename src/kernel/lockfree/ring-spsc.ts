// lockfree::ring_spsc (include/lockfree/ring.hh, osv-internals.md §3.8): a power-of-two ring with
// free-running 32-bit begin/end counters; only the producer writes `end`, only the consumer writes
// `begin`. Counters are kept modulo 2^32 explicitly (and may start near 2^32) so the wrap is
// exercised. Variant "issue-225" restores the bug of OSv #225: pop tested emptiness with >=.

import { type Cell, type Guest, load, type Simulation, store } from "../../sim/index.js";

export const COUNTER_MODULUS = 2 ** 32;

export type RingSpscVariant = "correct" | "issue-225";

export interface RingSpscOptions {
  /** Slots; a power of two (default 8). */
  capacity?: number;
  /** Initial value of both counters, in [0, 2^32) (default 0). */
  startCounter?: number;
  variant?: RingSpscVariant;
}

/** (a - b) mod 2^32, as OSv's unsigned subtraction. */
export function counterDistance(a: number, b: number): number {
  return (a - b + COUNTER_MODULUS) % COUNTER_MODULUS;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

export class RingSpsc {
  readonly begin: Cell;
  readonly end: Cell;
  readonly slots: Cell[];
  readonly capacity: number;
  readonly variant: RingSpscVariant;

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    options: RingSpscOptions = {},
  ) {
    this.capacity = options.capacity ?? 8;
    if (!isPowerOfTwo(this.capacity) || this.capacity > 1 << 20)
      throw new RangeError(`${name}: capacity ${this.capacity} is not a power of two up to 2^20`);
    const start = options.startCounter ?? 0;
    if (!(Number.isSafeInteger(start) && start >= 0 && start < COUNTER_MODULUS))
      throw new RangeError(`${name}: startCounter must be in [0, 2^32)`);
    this.variant = options.variant ?? "correct";
    this.begin = sim.memory.cell(`${name}.begin`, start);
    this.end = sim.memory.cell(`${name}.end`, start);
    this.slots = sim.memory.array(`${name}.slot`, this.capacity);
  }

  private slot(counter: number): Cell {
    return this.slots[counter & (this.capacity - 1)]!;
  }

  /** Producer only: answers false when the ring is full. */
  *push(item: number): Guest<boolean> {
    const end = yield load(this.end);
    const begin = yield load(this.begin);
    const used = counterDistance(end, begin);
    this.sim.assert(used <= this.capacity, "ring-spsc-occupancy", () => `${this.name}: ${used} items queued`);
    if (used >= this.capacity) return false;
    yield store(this.slot(end), item);
    yield store(this.end, (end + 1) % COUNTER_MODULUS);
    return true;
  }

  /** Consumer only: answers the oldest item, or undefined when the ring is (or looks) empty. */
  *pop(): Guest<number | undefined> {
    const begin = yield load(this.begin);
    const end = yield load(this.end);
    const used = counterDistance(end, begin);
    this.sim.assert(used <= this.capacity, "ring-spsc-occupancy", () => `${this.name}: ${used} items queued`);
    // #225: with >=, a wrapped `end` (small) below a not-yet-wrapped `begin` reads as empty.
    const empty = this.variant === "issue-225" ? begin >= end : begin === end;
    if (empty) return undefined;
    const item = yield load(this.slot(begin));
    yield store(this.begin, (begin + 1) % COUNTER_MODULUS);
    return item;
  }

  /** Consumer's view: true when pop would find nothing (same test as pop, variant included). */
  *empty(): Guest<boolean> {
    const begin = yield load(this.begin);
    const end = yield load(this.end);
    return this.variant === "issue-225" ? begin >= end : begin === end;
  }

  /** Producer's view: true when push would fail. */
  *full(): Guest<boolean> {
    const end = yield load(this.end);
    const begin = yield load(this.begin);
    return counterDistance(end, begin) >= this.capacity;
  }

  /** Checker view (no effects): items between the counters now. */
  get size(): number {
    return counterDistance(this.end.value, this.begin.value);
  }
}
