// Guest physical memory: a byte-addressable little-endian space where virtqueues, pvclock pages
// and I/O buffers live, laid out byte for byte as on x86. Guest code reaches it through the
// physLoad / physStore effects (interleaving points, performed by the vCPU); host-side device code
// reads and writes it directly at the virtual instant of its event. Models OSv's view of RAM only as
// far as drivers need (osv-internals.md §7, §8); no paging, no MMIO.

import {
  type Effect,
  extension,
  FIRST_EXTENSION_OP,
  type Guest,
  Process,
  type Simulation,
} from "../sim/index.js";

export class GuestMemoryError extends RangeError {
  override name = "GuestMemoryError";
}

const MAX_GUEST_BYTES = 2 ** 31;

/** The backing store starts this small and doubles up to the guest size as addresses are touched. */
const INITIAL_BACKING_BYTES = 64 * 1024;

/**
 * Guest physical memory. Zero-filled, as RAM is at boot; the host-side backing grows on demand (a
 * run that touches 200 KiB of a 64 MiB guest allocates 256 KiB, not 64 MiB: allocating and zeroing
 * the whole size cost ~40 ms per kernel run), and bytes past the backing read as zero.
 */
export class GuestMemory {
  private bytes: Uint8Array;
  private view: DataView;
  /** Next free byte for alloc(); allocation is a simple bump pointer (nothing is freed). */
  private nextFree = 0;

  constructor(readonly sizeBytes: number) {
    if (!(Number.isInteger(sizeBytes) && sizeBytes > 0 && sizeBytes <= MAX_GUEST_BYTES)) {
      throw new GuestMemoryError(`guest memory size must be 1..2^31 bytes, got ${sizeBytes}`);
    }
    this.bytes = new Uint8Array(Math.min(sizeBytes, INITIAL_BACKING_BYTES));
    this.view = new DataView(this.bytes.buffer);
  }

  /** Grows the backing so that [0, endBytes) is held (endBytes <= sizeBytes, checked by the caller). */
  private hold(endBytes: number): void {
    if (endBytes <= this.bytes.length) return;
    let capacity = this.bytes.length;
    while (capacity < endBytes) capacity *= 2;
    const bigger = new Uint8Array(Math.min(capacity, this.sizeBytes));
    bigger.set(this.bytes);
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** Fills [startAddr, endAddr) with `value` (host side, like TypedArray.fill). */
  fill(value: number, startAddr: number, endAddr: number): void {
    this.check(startAddr, endAddr - startAddr);
    this.hold(endAddr);
    this.bytes.fill(value, startAddr, endAddr);
  }

  /** Reserves `sizeBytes` at an address aligned to `align` (a power of two) and answers it. */
  alloc(sizeBytes: number, align = 8): number {
    if (!(Number.isInteger(align) && align > 0 && (align & (align - 1)) === 0)) {
      throw new GuestMemoryError(`alignment must be a power of two, got ${align}`);
    }
    const addr = Math.ceil(this.nextFree / align) * align;
    this.check(addr, sizeBytes);
    this.nextFree = addr + sizeBytes;
    return addr;
  }

  private check(addr: number, width: number): void {
    if (!(Number.isInteger(addr) && addr >= 0 && addr + width <= this.sizeBytes)) {
      throw new GuestMemoryError(
        `guest access of ${width} bytes at ${addr} is outside [0, ${this.sizeBytes})`,
      );
    }
  }

  /** Reads an unsigned little-endian integer of 1, 2, 4 or 8 bytes (8 must fit a safe integer). */
  read(addr: number, width: 1 | 2 | 4 | 8): number {
    this.check(addr, width);
    if (addr + width > this.bytes.length) return 0;
    switch (width) {
      case 1:
        return this.view.getUint8(addr);
      case 2:
        return this.view.getUint16(addr, true);
      case 4:
        return this.view.getUint32(addr, true);
      case 8: {
        // Two 32-bit halves: no BigInt on the clock's hot path. A high half of 2^21 or more is past 2^53.
        const high = this.view.getUint32(addr + 4, true);
        if (high >= 0x200000) {
          const value = this.view.getBigUint64(addr, true);
          throw new GuestMemoryError(`u64 at ${addr} is ${value}, beyond a safe integer`);
        }
        return high * 0x100000000 + this.view.getUint32(addr, true);
      }
    }
  }

  /** Writes an unsigned little-endian integer of 1, 2, 4 or 8 bytes; the value must fit. */
  write(addr: number, width: 1 | 2 | 4 | 8, value: number): void {
    this.check(addr, width);
    if (!(Number.isSafeInteger(value) && value >= 0 && (width === 8 || value < 2 ** (8 * width)))) {
      throw new GuestMemoryError(`${value} does not fit an unsigned ${8 * width}-bit field at ${addr}`);
    }
    this.hold(addr + width);
    switch (width) {
      case 1:
        this.view.setUint8(addr, value);
        return;
      case 2:
        this.view.setUint16(addr, value, true);
        return;
      case 4:
        this.view.setUint32(addr, value, true);
        return;
      case 8: {
        const high = Math.floor(value / 0x100000000);
        this.view.setUint32(addr, value - high * 0x100000000, true);
        this.view.setUint32(addr + 4, high, true);
        return;
      }
    }
  }

  /** Copies bytes out (host side). */
  readBytes(addr: number, length: number): Uint8Array {
    this.check(addr, length);
    this.hold(addr + length);
    return this.bytes.slice(addr, addr + length);
  }

  /** Copies bytes in (host side). */
  writeBytes(addr: number, data: Uint8Array): void {
    this.check(addr, data.length);
    this.hold(addr + data.length);
    this.bytes.set(data, addr);
  }
}

/** Extension ops of the hardware layer (names registered by registerHwOps). */
export const HwOp = {
  PhysLoad: FIRST_EXTENSION_OP,
  PhysStore: FIRST_EXTENSION_OP + 1,
} as const;

/** A guest load of `width` bytes at guest-physical `addr`; resumes with the value. */
export const physLoad = (addr: number, width: 1 | 2 | 4 | 8): Effect => extension(HwOp.PhysLoad, addr, width);
/** A guest store of `width` bytes at `addr` (the effect carries the value in `b`, the width in `target`). */
export const physStore = (addr: number, width: 1 | 2 | 4 | 8, value: number): Effect =>
  extension(HwOp.PhysStore, addr, value, width);

/** Typed wrapper: `const v = yield* readPhys(addr, 2)`. */
export function* readPhys(addr: number, width: 1 | 2 | 4 | 8): Guest<number> {
  return yield physLoad(addr, width);
}

/**
 * Performs a physLoad / physStore effect on `memory` and answers the result, or undefined when the
 * effect is not a guest-memory op (so a runner can try its other handlers).
 */
export function performPhysEffect(memory: GuestMemory, effect: Effect): number | undefined {
  if (effect.op === HwOp.PhysLoad) return memory.read(effect.a, effect.b as 1 | 2 | 4 | 8);
  if (effect.op === HwOp.PhysStore) {
    memory.write(effect.a, effect.target as 1 | 2 | 4 | 8, effect.b);
    return effect.b;
  }
  return undefined;
}

/** Names the hardware layer's extension ops in a simulation's kind registry (idempotent). */
export function registerHwOps(sim: Simulation): void {
  sim.kinds.defineExtensionOp(HwOp.PhysLoad, "phys_load");
  sim.kinds.defineExtensionOp(HwOp.PhysStore, "phys_store");
}

/**
 * A guest thread on its own notional CPU that can also touch guest memory: lets device and driver
 * code be tested on the engine alone, before a vCPU runs it.
 */
export class GuestProcess<R = unknown> extends Process<R> {
  constructor(
    name: string,
    private readonly memory: GuestMemory,
    body: (self: GuestProcess<R>) => Guest<R>,
  ) {
    super(name, body as (self: Process<R>) => Guest<R>);
  }

  override performExtension(effect: Effect): number {
    const result = performPhysEffect(this.memory, effect);
    if (result === undefined)
      throw new Error(`runner '${this.name}' cannot perform extension op ${effect.op}`);
    return result;
  }
}
