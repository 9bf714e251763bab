// The only pseudo-random generator in osv-sim: seedrandom's xor4096, always explicitly seeded, used
// through an integer-only interface so no floating-point rounding can change a decision.

import seedrandom from "seedrandom";

const TWO_POW_32 = 4294967296;

export class Rng {
  private readonly next: () => number;

  constructor(seed: number | string) {
    if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
      throw new RangeError(`seed must be a safe integer, got ${seed}`);
    }
    // xor4096 with an explicit seed never reads Math.random or the clock.
    const prng = seedrandom.xor4096(String(seed));
    this.next = () => prng.int32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    return this.next() >>> 0;
  }

  /** A uniform integer in [0, n) for 1 <= n <= 2^32, by rejection sampling (no modulo bias). */
  below(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_32 && Number.isInteger(n)))
      throw new RangeError(`below(n) needs 1 <= n <= 2^32, got ${n}`);
    if ((n & (n - 1)) === 0 && n <= 0x40000000) return this.u32() & (n - 1);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability `ratio` (0..1), compared in 32-bit fixed point. */
  chance(ratio: number): boolean {
    return this.u32() < Math.floor(ratio * TWO_POW_32);
  }
}
