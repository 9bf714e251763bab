// The device half of a split virtqueue as host code (osv-internals §7.3; what QEMU does for OSv's rings):
// pop direct/indirect chains, publish used entries, suppress kicks, decide interrupts. Simplified: it acts
// atomically at its event's instant, and malformed chains are invariant violations, not NEEDS_RESET.

import type { Simulation } from "../../sim/index.js";
import type { GuestMemory } from "../memory.js";
import {
  type BufferSegment,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE_BYTES,
  VRING_USED_F_NO_NOTIFY,
  type Vring,
  vringNeedEvent,
} from "./ring.js";

/** A chain the device took from the available ring. */
export interface DescriptorChain {
  readonly head: number;
  readonly segments: readonly BufferSegment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

export class VringDevice {
  /** Next available entry to take (modulo 2^16). */
  private lastAvailIdx = 0;
  /** The used index as last published (modulo 2^16). */
  private usedIdx = 0;
  private readonly inFlight: Uint8Array;
  private inFlightCount = 0;
  popped = 0;
  completed = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly memory: GuestMemory,
    readonly vring: Vring,
    readonly queueIndex: number,
    readonly eventIdx: boolean,
    readonly indirect: boolean,
  ) {
    this.inFlight = new Uint8Array(vring.num);
  }

  /** Chains taken but not yet completed. */
  get inFlightChains(): number {
    return this.inFlightCount;
  }

  /** How many entries the driver has published that the device has not taken. */
  availableCount(): number {
    const availIdx = this.memory.read(this.vring.availIdx, 2);
    const count = (availIdx - this.lastAvailIdx) & 0xffff;
    this.sim.assert(
      count + this.inFlightCount <= this.vring.num,
      "virtio.avail_overflow",
      () =>
        `queue ${this.queueIndex}: ${count} new + ${this.inFlightCount} in flight exceed ${this.vring.num}`,
    );
    return count;
  }

  /** Takes the next available chain, or null when there is none. */
  popAvail(): DescriptorChain | null {
    if (this.availableCount() === 0) return null;
    const slot = this.lastAvailIdx & this.vring.mask;
    const head = this.memory.read(this.vring.availRing(slot), 2);
    this.sim.assert(head < this.vring.num, "virtio.chain", () => `avail entry names descriptor ${head}`);
    this.sim.assert(
      this.inFlight[head] === 0,
      "virtio.chain",
      () => `queue ${this.queueIndex}: head ${head} made available while the device still holds it`,
    );
    const chain = this.readChain(head);
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    this.inFlight[head] = 1;
    this.inFlightCount++;
    this.popped++;
    return chain;
  }

  private readChain(head: number): DescriptorChain {
    const memory = this.memory;
    const segments: BufferSegment[] = [];
    let readableBytes = 0;
    let writableBytes = 0;
    let table = -1;
    let limit = this.vring.num;
    let addr = this.vring.desc(head);
    for (let hops = 0; ; hops++) {
      this.sim.assert(hops < limit, "virtio.chain", () => `chain from head ${head} loops`);
      const flags = memory.read(addr + 12, 2);
      if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
        const lenBytes = memory.read(addr + 8, 4);
        this.sim.assert(
          this.indirect && table < 0 && (flags & VRING_DESC_F_NEXT) === 0,
          "virtio.chain",
          "indirect descriptor not negotiated, nested, or chained",
        );
        this.sim.assert(
          lenBytes > 0 && lenBytes % VRING_DESC_SIZE_BYTES === 0,
          "virtio.chain",
          () => `indirect table of ${lenBytes} bytes`,
        );
        table = memory.read(addr, 8);
        limit = lenBytes / VRING_DESC_SIZE_BYTES;
        addr = table;
        hops = -1;
        continue;
      }
      const segment = {
        addr: memory.read(addr, 8),
        lenBytes: memory.read(addr + 8, 4),
        write: (flags & VRING_DESC_F_WRITE) !== 0,
      };
      this.sim.assert(
        segment.write || writableBytes === 0,
        "virtio.chain",
        "a device-readable descriptor follows a writable one",
      );
      segments.push(segment);
      if (segment.write) writableBytes += segment.lenBytes;
      else readableBytes += segment.lenBytes;
      if ((flags & VRING_DESC_F_NEXT) === 0) break;
      const next = memory.read(addr + 14, 2);
      this.sim.assert(next < limit, "virtio.chain", () => `next ${next} is outside a table of ${limit}`);
      addr = table < 0 ? this.vring.desc(next) : table + VRING_DESC_SIZE_BYTES * next;
    }
    return { head, segments, readableBytes, writableBytes };
  }

  /**
   * Publishes a used entry for `head` and answers whether the driver asked for an interrupt
   * (used_event with EVENT_IDX, else the NO_INTERRUPT flag).
   */
  pushUsed(head: number, lenBytes: number): boolean {
    this.sim.assert(
      head < this.vring.num && this.inFlight[head] === 1,
      "virtio.used_names_posted_buffer",
      () => `queue ${this.queueIndex}: completing head ${head}, which the device does not hold`,
    );
    this.inFlight[head] = 0;
    this.inFlightCount--;
    this.completed++;
    this.sim.assert(
      this.completed <= this.popped,
      "virtio.used_not_past_avail",
      () => `queue ${this.queueIndex}: ${this.completed} used entries for ${this.popped} taken`,
    );
    const slot = this.usedIdx & this.vring.mask;
    this.memory.write(this.vring.usedElem(slot), 4, head);
    this.memory.write(this.vring.usedElem(slot) + 4, 4, lenBytes);
    const oldIdx = this.usedIdx;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.memory.write(this.vring.usedIdx, 2, this.usedIdx);
    if (this.eventIdx) {
      const usedEvent = this.memory.read(this.vring.usedEvent, 2);
      return vringNeedEvent(usedEvent, this.usedIdx, oldIdx);
    }
    return (this.memory.read(this.vring.availFlags, 2) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** While the device is busy with this queue, the driver need not kick. */
  suppressNotifications(): void {
    // With EVENT_IDX the driver ignores used.flags; leaving avail_event behind suppresses kicks.
    if (!this.eventIdx) this.memory.write(this.vring.usedFlags, 2, VRING_USED_F_NO_NOTIFY);
  }

  /** Asks for a kick on the next addition; the caller must re-check availableCount() afterwards. */
  enableNotifications(): void {
    if (this.eventIdx) this.memory.write(this.vring.availEvent, 2, this.lastAvailIdx);
    else this.memory.write(this.vring.usedFlags, 2, 0);
  }
}
