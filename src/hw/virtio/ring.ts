// The virtio 1.x split virtqueue's memory layout (osv-internals §7.3, drivers/virtio-vring.cc/.hh):
// descriptor table, available ring, used ring and event-index fields, byte for byte. Simplified: one
// contiguous allocation per ring with the used ring 4096-aligned, as OSv does even for modern devices.

import type { GuestMemory } from "../memory.js";

export const VRING_DESC_F_NEXT = 1;
export const VRING_DESC_F_WRITE = 2;
export const VRING_DESC_F_INDIRECT = 4;
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
export const VRING_USED_F_NO_NOTIFY = 1;

/** Feature bits of the ring itself (virtio 1.x §6). */
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
export const VIRTIO_RING_F_EVENT_IDX = 29;

/**
 * OSv allocates each ring contiguously and aligns the used ring to 4096 bytes, the legacy
 * VIRTIO_PCI_VRING_ALIGN, for modern devices too (virtio-vring.cc: get_size(num, 4096)).
 */
export const VIRTIO_PCI_VRING_ALIGN = 4096;
export const VRING_DESC_SIZE_BYTES = 16;
export const VRING_USED_ELEM_SIZE_BYTES = 8;
/** The largest split-ring size virtio allows. */
export const MAX_QUEUE_SIZE = 32768;
/** OSv forces a kick once this many buffers were added without one (2cb094fe): the u16 test wraps. */
export const FORCED_KICK_THRESHOLD = 32767;

/** Offsets (from the ring's base) and sizes of the three parts of a split ring. */
export interface VringLayout {
  readonly num: number;
  readonly alignBytes: number;
  readonly descOffset: number;
  readonly descSizeBytes: number;
  readonly availOffset: number;
  /** flags, idx, ring[num], used_event. */
  readonly availSizeBytes: number;
  readonly usedEventOffset: number;
  readonly usedOffset: number;
  /** flags, idx, ring[num] of {id, len}, avail_event. */
  readonly usedSizeBytes: number;
  readonly availEventOffset: number;
  readonly totalSizeBytes: number;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The split-ring layout for queue size `num` (a power of two up to 32768) and used-ring alignment. */
export function vringLayout(num: number, alignBytes = VIRTIO_PCI_VRING_ALIGN): VringLayout {
  if (!(isPowerOfTwo(num) && num <= MAX_QUEUE_SIZE))
    throw new RangeError(`queue size must be a power of two in [1, ${MAX_QUEUE_SIZE}], got ${num}`);
  if (!isPowerOfTwo(alignBytes)) throw new RangeError(`ring alignment must be a power of two`);
  const descSizeBytes = VRING_DESC_SIZE_BYTES * num;
  const availOffset = descSizeBytes;
  const availSizeBytes = 2 * (3 + num);
  const usedOffset = Math.ceil((availOffset + availSizeBytes) / alignBytes) * alignBytes;
  const usedSizeBytes = 2 * 3 + VRING_USED_ELEM_SIZE_BYTES * num;
  return {
    num,
    alignBytes,
    descOffset: 0,
    descSizeBytes,
    availOffset,
    availSizeBytes,
    usedEventOffset: availOffset + 4 + 2 * num,
    usedOffset,
    usedSizeBytes,
    availEventOffset: usedOffset + 4 + VRING_USED_ELEM_SIZE_BYTES * num,
    totalSizeBytes: usedOffset + usedSizeBytes,
  };
}

/**
 * vring_need_event: having moved an index from `oldIdx` to `newIdx`, does the other side's
 * `eventIdx` ask to be told? All arithmetic is modulo 2^16.
 */
export function vringNeedEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

/** Guest-physical addresses of every field of one split ring. */
export class Vring {
  readonly layout: VringLayout;
  readonly mask: number;
  constructor(
    readonly baseAddr: number,
    readonly num: number,
    alignBytes = VIRTIO_PCI_VRING_ALIGN,
  ) {
    this.layout = vringLayout(num, alignBytes);
    this.mask = num - 1;
  }
  /** Allocates a zeroed ring in guest memory, 4096-aligned as OSv does. */
  static allocate(memory: GuestMemory, num: number, alignBytes = VIRTIO_PCI_VRING_ALIGN): Vring {
    const layout = vringLayout(num, alignBytes);
    const base = memory.alloc(layout.totalSizeBytes, 4096);
    memory.fill(0, base, base + layout.totalSizeBytes);
    return new Vring(base, num, alignBytes);
  }
  desc(id: number): number {
    return this.baseAddr + this.layout.descOffset + VRING_DESC_SIZE_BYTES * id;
  }
  get availFlags(): number {
    return this.baseAddr + this.layout.availOffset;
  }
  get availIdx(): number {
    return this.baseAddr + this.layout.availOffset + 2;
  }
  availRing(slot: number): number {
    return this.baseAddr + this.layout.availOffset + 4 + 2 * slot;
  }
  get usedEvent(): number {
    return this.baseAddr + this.layout.usedEventOffset;
  }
  get usedFlags(): number {
    return this.baseAddr + this.layout.usedOffset;
  }
  get usedIdx(): number {
    return this.baseAddr + this.layout.usedOffset + 2;
  }
  usedElem(slot: number): number {
    return this.baseAddr + this.layout.usedOffset + 4 + VRING_USED_ELEM_SIZE_BYTES * slot;
  }
  get availEvent(): number {
    return this.baseAddr + this.layout.availEventOffset;
  }
}

/** One scatter-gather element: OSv's sg entry (paddr, len, WRITE flag). */
export interface BufferSegment {
  readonly addr: number;
  readonly lenBytes: number;
  /** Device-writable (the device fills it) rather than device-readable. */
  readonly write: boolean;
}

/** Where a kick goes: the device's notify register. */
export interface Doorbell {
  notify(queueIndex: number): void;
}
