// Event kinds and the ring of recent events. Every dispatch (a timed event firing or a runner
// performing an effect) has a numeric kind, so the digest, the recent-events ring and trace records
// stay compact; a registry maps kinds to names for reports. Core effect ops keep their op numbers.

import { CORE_OP_NAMES, FIRST_EXTENSION_OP } from "./effects.js";

export const EventKind = {
  /** A runner resumes after a timed wait (compute, sleep, start). */
  Wakeup: 12,
  /** A runner's guest code returned. */
  Finish: 13,
  /** A woken runner resumes because another runner woke it. */
  Unblock: 14,
  /** A runner's compute finished (its wakeup event; the value is the ns computed). */
  ComputeDone: 15,
} as const;

/** First id handed out by KindRegistry.allocate for timed-event handlers of other layers. */
const FIRST_ALLOCATED_KIND = 256;
const MAX_KIND = 2048;

export class KindRegistry {
  private readonly names = new Map<number, string>();
  private nextAllocated = FIRST_ALLOCATED_KIND;

  constructor() {
    for (const [op, name] of Object.entries(CORE_OP_NAMES)) this.names.set(Number(op), name);
    this.names.set(EventKind.Wakeup, "wakeup");
    this.names.set(EventKind.Finish, "finish");
    this.names.set(EventKind.Unblock, "unblock");
    this.names.set(EventKind.ComputeDone, "compute_done");
  }

  /** Names an extension op (>= FIRST_EXTENSION_OP, below the allocated range). */
  defineExtensionOp(op: number, name: string): void {
    if (op < FIRST_EXTENSION_OP || op >= FIRST_ALLOCATED_KIND) {
      throw new RangeError(`extension op ${op} must be in [${FIRST_EXTENSION_OP}, ${FIRST_ALLOCATED_KIND})`);
    }
    const existing = this.names.get(op);
    if (existing !== undefined && existing !== name)
      throw new Error(`op ${op} is already named '${existing}'`);
    this.names.set(op, name);
  }

  /** Hands out a fresh kind for a timed-event handler; allocation order must be deterministic. */
  allocate(name: string): number {
    // Digests pack a kind into 11 bits beside a 20-bit runner id.
    if (this.nextAllocated >= MAX_KIND)
      throw new RangeError(`more than ${MAX_KIND - FIRST_ALLOCATED_KIND} event kinds`);
    const kind = this.nextAllocated++;
    this.names.set(kind, name);
    return kind;
  }

  /** The kind named `name`, allocating it on first use (so several machines can share one). */
  kindFor(name: string): number {
    for (const [kind, existing] of this.names)
      if (existing === name && kind >= FIRST_ALLOCATED_KIND) return kind;
    return this.allocate(name);
  }

  name(kind: number): string {
    return this.names.get(kind) ?? `kind${kind}`;
  }

  /** All (kind, name) pairs in ascending kind order, for trace headers. */
  entries(): [number, string][] {
    return [...this.names.entries()].sort((a, b) => a[0] - b[0]);
  }
}

export interface RecentEvent {
  index: number;
  timeNs: number;
  kind: number;
  runner: number;
  value: number;
}

/** A fixed-size ring of the last dispatched events, kept in one typed array (no allocation per event). */
export class RecentEvents {
  /** Four numbers per event: time, kind, runner, value (one array: one bounds check, one line). */
  private readonly slots: Float64Array;
  private total = 0;
  readonly capacity: number;

  private readonly mask: number;

  /** `capacity` is rounded up to a power of two. */
  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= 1 << 20)) {
      throw new RangeError(`recent-events capacity must be in [1, 2^20], got ${capacity}`);
    }
    capacity = 2 ** Math.ceil(Math.log2(capacity));
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.slots = new Float64Array(capacity * 4);
  }

  record(timeNs: number, kind: number, runner: number, value: number): void {
    const at = (this.total & this.mask) << 2;
    const slots = this.slots;
    slots[at] = timeNs;
    slots[at + 1] = kind;
    slots[at + 2] = runner;
    slots[at + 3] = value;
    this.total++;
  }

  /** The retained events, oldest first. */
  list(): RecentEvent[] {
    const out: RecentEvent[] = [];
    const first = Math.max(0, this.total - this.capacity);
    for (let index = first; index < this.total; index++) {
      const at = (index % this.capacity) * 4;
      out.push({
        index,
        timeNs: this.slots[at]!,
        kind: this.slots[at + 1]!,
        runner: this.slots[at + 2]!,
        value: this.slots[at + 3]!,
      });
    }
    return out;
  }
}
