// lockfree::unordered_ring_mpsc (osv-internals.md §3.8): one ring_spsc per CPU; a producer pushes
// into its own CPU's ring (OSv disables IRQs so the CPU's producers never overlap); the consumer
// drains the rings in CPU order, so there is no order across CPUs. With no CPU model yet, the CPU
// index is a parameter of push, and a checker asserts that pushes to one ring never overlap.

import type { Guest, Simulation } from "../../sim/index.js";
import { RingSpsc, type RingSpscOptions } from "./ring-spsc.js";

export class UnorderedRingMpsc {
  readonly rings: RingSpsc[];
  /** Checker state: a push into ring i is in progress. */
  private readonly pushing: boolean[];

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    cpus: number,
    options: RingSpscOptions = {},
  ) {
    if (!(Number.isSafeInteger(cpus) && cpus >= 1 && cpus <= 256))
      throw new RangeError(`${name}: cpus must be in [1, 256]`);
    this.rings = Array.from({ length: cpus }, (_, cpu) => new RingSpsc(sim, `${name}.cpu${cpu}`, options));
    this.pushing = this.rings.map(() => false);
  }

  /** Pushes from CPU `cpu` (its only producer at a time); false when that CPU's ring is full. */
  *push(cpu: number, item: number): Guest<boolean> {
    const ring = this.rings[cpu];
    if (ring === undefined) throw new RangeError(`${this.name}: no CPU ${cpu}`);
    this.sim.assert(
      !this.pushing[cpu],
      "ring-mpsc-cpu-producer",
      () => `${this.name}: two pushes on CPU ${cpu}`,
    );
    this.pushing[cpu] = true;
    const pushed = yield* ring.push(item);
    this.pushing[cpu] = false;
    return pushed;
  }

  /** Consumer only: pops everything, CPU 0's ring first; answers the items in that order. */
  *drain(limit = Number.MAX_SAFE_INTEGER): Guest<number[]> {
    const items: number[] = [];
    for (const ring of this.rings) {
      for (let popped = 0; popped <= ring.capacity && items.length < limit; popped++) {
        const item = yield* ring.pop();
        if (item === undefined) break;
        items.push(item);
      }
    }
    return items;
  }

  /** Consumer's view: every ring empty. */
  *empty(): Guest<boolean> {
    for (const ring of this.rings) if (!(yield* ring.empty())) return false;
    return true;
  }
}
