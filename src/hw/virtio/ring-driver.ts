// The driver half of a split virtqueue as guest code, after OSv's vring (drivers/virtio-vring.cc, §7.3):
// every ring access a physLoad/physStore, fences where OSv has them. Simplified: the doorbell is a fence
// plus a call, shadows of driver-only fields, and the free chain initialised directly at construction.

import { block, fence, type Guest, type Runner, type Simulation, wake } from "../../sim/index.js";
import type { GuestMemory } from "../memory.js";
import { physLoad, physStore } from "../memory.js";
import {
  type BufferSegment,
  type Doorbell,
  FORCED_KICK_THRESHOLD,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE_BYTES,
  VRING_USED_F_NO_NOTIFY,
  type Vring,
  vringNeedEvent,
} from "./ring.js";

export interface VringDriverOptions {
  /** VIRTIO_RING_F_INDIRECT_DESC was negotiated. */
  indirect: boolean;
  /** VIRTIO_RING_F_EVENT_IDX was negotiated. */
  eventIdx: boolean;
  /** Longest sg list one buffer may have (bounds the indirect tables). */
  maxSegments: number;
  /** The full fence before the kick decision (053bcf8e / 8e89eab2); false is the buggy variant. */
  fenceBeforeKick: boolean;
  /** wait_for_queue re-checks after enabling interrupts; false is the lost-wakeup variant. */
  recheckAfterEnable: boolean;
}

export const DEFAULT_VRING_DRIVER_OPTIONS: Readonly<VringDriverOptions> = {
  indirect: false,
  eventIdx: false,
  maxSegments: 64,
  fenceBeforeKick: true,
  recheckAfterEnable: true,
};

/** A completed buffer as get_buf_elem answers it. */
export interface UsedBuffer<T> {
  readonly cookie: T;
  /** Bytes the device wrote (the used element's len). */
  readonly lenBytes: number;
}

export interface VringDriverStats {
  added: number;
  addFailures: number;
  indirectAdded: number;
  kicks: number;
  kicksSuppressed: number;
  completed: number;
}

const DESC_ADDR = 0;
const DESC_LEN = 8;
const DESC_FLAGS = 12;
const DESC_NEXT = 14;

/** Per-descriptor-head state, for asserting that the device returns what was posted, once. */
const HEAD_FREE = 0;
const HEAD_POSTED = 1;
const HEAD_RETURNED = 2;

/**
 * One queue's driver state. As in OSv, add_buf/gc calls must be serialised by the caller (a queue
 * lock or a single thread); get_buf_elem/finalize may run in another thread (the completion thread).
 */
export class VringDriver<T> {
  readonly options: Readonly<VringDriverOptions>;
  readonly stats: VringDriverStats = {
    added: 0,
    addFailures: 0,
    indirectAdded: 0,
    kicks: 0,
    kicksSuppressed: 0,
    completed: 0,
  };
  /** OSv's _avail_head: first descriptor of the free chain. */
  private availHead = 0;
  /** OSv's _avail_count: free descriptors. */
  private availCount: number;
  private descriptorsInFlight = 0;
  /** Next used entry to consume (free-running; compared modulo 2^16). */
  private usedRingHostHead = 0;
  /** Next used entry whose descriptors go back to the free chain. */
  private usedRingGuestHead = 0;
  private availAddedSinceKick = 0;
  private availIdxShadow = 0;
  private interruptsOn = true;
  private readonly cookies: (T | undefined)[];
  private readonly headState: Uint8Array;
  private readonly chainLength: Uint16Array;
  private readonly indirectTables: number[];
  /** A thread parked in addBufWait until used entries can be collected. */
  private waiter: Runner | null = null;

  constructor(
    private readonly sim: Simulation,
    private readonly memory: GuestMemory,
    readonly vring: Vring,
    readonly queueIndex: number,
    private readonly doorbell: Doorbell,
    options: Partial<VringDriverOptions> = {},
  ) {
    this.options = { ...DEFAULT_VRING_DRIVER_OPTIONS, ...options };
    const num = vring.num;
    if (!(Number.isInteger(this.options.maxSegments) && this.options.maxSegments >= 1))
      throw new RangeError(`maxSegments must be a positive integer`);
    this.availCount = num;
    this.cookies = new Array<T | undefined>(num).fill(undefined);
    this.headState = new Uint8Array(num);
    this.chainLength = new Uint16Array(num);
    this.indirectTables = new Array<number>(num).fill(-1);
    for (let i = 0; i < num; i++) memory.write(vring.desc(i) + DESC_NEXT, 2, (i + 1) % num);
  }

  get freeDescriptors(): number {
    return this.availCount;
  }
  get inFlightDescriptors(): number {
    return this.descriptorsInFlight;
  }
  /** Buffers posted whose completion has not been consumed yet. */
  get outstandingBuffers(): number {
    return (this.availIdxShadow - this.usedRingHostHead) & 0xffff;
  }
  get interruptsEnabled(): boolean {
    return this.interruptsOn;
  }

  private assertConservation(): void {
    const num = this.vring.num;
    this.sim.assert(
      this.availCount >= 0 && this.availCount + this.descriptorsInFlight === num,
      "virtio.descriptor_conservation",
      () =>
        `queue ${this.queueIndex}: ${this.availCount} free + ${this.descriptorsInFlight} in flight ≠ ${num}`,
    );
  }

  private useIndirect(needed: number): boolean {
    return (
      this.options.indirect &&
      needed > 1 &&
      (needed > this.availCount || this.availCount < this.vring.num / 4)
    );
  }

  /** add_buf: posts `sg` (readable segments first) with `cookie`; false when the ring is full. */
  *addBuf(sg: readonly BufferSegment[], cookie: T): Guest<boolean> {
    this.checkSegments(sg);
    yield* this.getBufGc();
    const indirect = this.useIndirect(sg.length);
    const needed = indirect ? 1 : sg.length;
    if (this.availCount < needed) {
      this.stats.addFailures++;
      yield* this.kick();
      return false;
    }
    const head = this.availHead;
    this.sim.assert(this.headState[head] === HEAD_FREE, "virtio.free_chain", () => `head ${head} is in use`);
    this.availHead = indirect ? yield* this.writeIndirect(head, sg) : yield* this.writeChain(head, sg);
    this.cookies[head] = cookie;
    this.headState[head] = HEAD_POSTED;
    this.chainLength[head] = needed;
    this.availCount -= needed;
    this.descriptorsInFlight += needed;
    this.assertConservation();
    const slot = this.availIdxShadow & this.vring.mask;
    yield physStore(this.vring.availRing(slot), 2, head);
    this.availIdxShadow = (this.availIdxShadow + 1) & 0xffff;
    // A release store in OSv; under SC every store is.
    yield physStore(this.vring.availIdx, 2, this.availIdxShadow);
    this.availAddedSinceKick++;
    this.stats.added++;
    if (indirect) this.stats.indirectAdded++;
    return true;
  }

  private checkSegments(sg: readonly BufferSegment[]): void {
    const most = this.options.indirect
      ? this.options.maxSegments
      : Math.min(this.options.maxSegments, this.vring.num);
    if (!(sg.length >= 1 && sg.length <= most))
      throw new RangeError(`a buffer needs 1..${most} segments, got ${sg.length}`);
    let sawWritable = false;
    for (const segment of sg) {
      if (!segment.write && sawWritable) throw new RangeError("device-readable segments must come first");
      sawWritable ||= segment.write;
    }
  }

  /** Fills the free chain from `head`; answers the new free-chain head. */
  private *writeChain(head: number, sg: readonly BufferSegment[]): Guest<number> {
    let id = head;
    for (let i = 0; i < sg.length; i++) {
      const segment = sg[i]!;
      const last = i === sg.length - 1;
      const flags = (last ? 0 : VRING_DESC_F_NEXT) | (segment.write ? VRING_DESC_F_WRITE : 0);
      yield* this.writeDescriptor(this.vring.desc(id), segment, flags, -1);
      id = yield physLoad(this.vring.desc(id) + DESC_NEXT, 2);
    }
    return id;
  }

  private *writeIndirect(head: number, sg: readonly BufferSegment[]): Guest<number> {
    let table = this.indirectTables[head]!;
    if (table < 0) {
      table = this.memory.alloc(this.options.maxSegments * VRING_DESC_SIZE_BYTES, 16);
      this.indirectTables[head] = table;
    }
    for (let j = 0; j < sg.length; j++) {
      const segment = sg[j]!;
      const last = j === sg.length - 1;
      const flags = (last ? 0 : VRING_DESC_F_NEXT) | (segment.write ? VRING_DESC_F_WRITE : 0);
      yield* this.writeDescriptor(table + VRING_DESC_SIZE_BYTES * j, segment, flags, last ? 0 : j + 1);
    }
    const tableSegment = { addr: table, lenBytes: sg.length * VRING_DESC_SIZE_BYTES, write: false };
    yield* this.writeDescriptor(this.vring.desc(head), tableSegment, VRING_DESC_F_INDIRECT, -1);
    return yield physLoad(this.vring.desc(head) + DESC_NEXT, 2);
  }

  /** Writes addr, len, flags and (unless `next` < 0, keeping the free-chain link) next. */
  private *writeDescriptor(addr: number, segment: BufferSegment, flags: number, next: number): Guest {
    yield physStore(addr + DESC_ADDR, 8, segment.addr);
    yield physStore(addr + DESC_LEN, 4, segment.lenBytes);
    yield physStore(addr + DESC_FLAGS, 2, flags);
    if (next >= 0) yield physStore(addr + DESC_NEXT, 2, next);
  }

  /** get_buf_gc: returns the descriptors of consumed used entries to the free chain. */
  *getBufGc(): Guest {
    const vring = this.vring;
    while (this.usedRingGuestHead !== this.usedRingHostHead) {
      const slot = this.usedRingGuestHead & vring.mask;
      const head = yield physLoad(vring.usedElem(slot), 4);
      this.sim.assert(
        head < vring.num && this.headState[head] === HEAD_RETURNED,
        "virtio.used_names_posted_buffer",
        () => `queue ${this.queueIndex}: collecting head ${head}, which was not returned`,
      );
      let last = head;
      let count = 1;
      let flags = yield physLoad(vring.desc(head) + DESC_FLAGS, 2);
      while ((flags & VRING_DESC_F_INDIRECT) === 0 && (flags & VRING_DESC_F_NEXT) !== 0) {
        last = yield physLoad(vring.desc(last) + DESC_NEXT, 2);
        count++;
        this.sim.assert(count <= vring.num, "virtio.free_chain", "descriptor chain loops");
        flags = yield physLoad(vring.desc(last) + DESC_FLAGS, 2);
      }
      this.sim.assert(
        count === this.chainLength[head],
        "virtio.descriptor_conservation",
        () => `head ${head}: chain of ${count} descriptors, posted with ${this.chainLength[head]}`,
      );
      yield physStore(vring.desc(last) + DESC_NEXT, 2, this.availHead);
      this.availHead = head;
      this.headState[head] = HEAD_FREE;
      this.usedRingGuestHead++;
      this.availCount += count;
      this.descriptorsInFlight -= count;
      this.assertConservation();
    }
  }

  /** get_buf_elem: the next completed buffer, or null when the used ring has nothing new. */
  *getBufElem(): Guest<UsedBuffer<T> | null> {
    const vring = this.vring;
    const usedIdx = yield physLoad(vring.usedIdx, 2);
    if (usedIdx === (this.usedRingHostHead & 0xffff)) return null;
    this.sim.assert(
      ((usedIdx - this.usedRingHostHead) & 0xffff) <= this.outstandingBuffers,
      "virtio.used_not_past_avail",
      () => `queue ${this.queueIndex}: used.idx ${usedIdx} passed avail.idx ${this.availIdxShadow}`,
    );
    const slot = this.usedRingHostHead & vring.mask;
    const head = yield physLoad(vring.usedElem(slot), 4);
    const lenBytes = yield physLoad(vring.usedElem(slot) + 4, 4);
    this.sim.assert(
      head < vring.num && this.headState[head] === HEAD_POSTED,
      "virtio.used_names_posted_buffer",
      () => `queue ${this.queueIndex}: used entry names head ${head}, which is not posted`,
    );
    const cookie = this.cookies[head] as T;
    this.cookies[head] = undefined;
    this.headState[head] = HEAD_RETURNED;
    return { cookie, lenBytes };
  }

  /** get_buf_finalize: consumes the entry; advertises used_event while interrupts are on. */
  *getBufFinalize(): Guest {
    this.usedRingHostHead++;
    this.stats.completed++;
    if (this.interruptsOn) yield physStore(this.vring.usedEvent, 2, this.usedRingHostHead & 0xffff);
  }

  /** get_buf_elem + finalize, for callers that take one at a time. */
  *getBuf(): Guest<UsedBuffer<T> | null> {
    const used = yield* this.getBufElem();
    if (used !== null) yield* this.getBufFinalize();
    return used;
  }

  /** kick: notifies the device unless it suppressed notifications; answers whether it did. */
  *kick(): Guest<boolean> {
    let kicked = true;
    if (this.availAddedSinceKick < FORCED_KICK_THRESHOLD) {
      // Pairs with the device's "publish avail_event, then re-read avail.idx" (#383 class).
      if (this.options.fenceBeforeKick) yield fence();
      if (this.options.eventIdx) {
        const availEvent = yield physLoad(this.vring.availEvent, 2);
        const oldIdx = (this.availIdxShadow - this.availAddedSinceKick) & 0xffff;
        kicked = vringNeedEvent(availEvent, this.availIdxShadow, oldIdx);
      } else {
        const flags = yield physLoad(this.vring.usedFlags, 2);
        if ((flags & VRING_USED_F_NO_NOTIFY) !== 0) kicked = false;
      }
    }
    if (!kicked) {
      this.stats.kicksSuppressed++;
      return false;
    }
    yield fence(); // the notify register write
    this.doorbell.notify(this.queueIndex);
    this.availAddedSinceKick = 0;
    this.stats.kicks++;
    return true;
  }

  *disableInterrupts(): Guest {
    this.interruptsOn = false;
    yield physStore(this.vring.availFlags, 2, VRING_AVAIL_F_NO_INTERRUPT);
  }

  /** enable_interrupts: clear NO_INTERRUPT, advertise used_event, then a seq_cst fence. */
  *enableInterrupts(): Guest {
    this.interruptsOn = true;
    yield physStore(this.vring.availFlags, 2, 0);
    yield physStore(this.vring.usedEvent, 2, this.usedRingHostHead & 0xffff);
    yield fence();
  }

  /**
   * The ISR's "disable interrupts" until vCPUs run ISRs as guest code: performed directly at the
   * instant the interrupt is delivered.
   */
  disableInterruptsFromIsr(): void {
    this.interruptsOn = false;
    this.memory.write(this.vring.availFlags, 2, VRING_AVAIL_F_NO_INTERRUPT);
  }

  *usedRingNotEmpty(): Guest<boolean> {
    return (yield physLoad(this.vring.usedIdx, 2)) !== (this.usedRingHostHead & 0xffff);
  }

  get usedRingCanGc(): boolean {
    return this.usedRingGuestHead !== this.usedRingHostHead;
  }

  /** Whether `segments` more would fit once consumed entries are collected. */
  availRingHasRoom(segments: number): boolean {
    const effective = this.availCount + (this.usedRingHostHead - this.usedRingGuestHead);
    return effective >= (this.useIndirect(segments) ? 1 : segments);
  }

  /**
   * wait_for_queue: returns once `predicate` holds. Otherwise enable interrupts, re-check (and if
   * it now holds, disable them again), else sleep until the ISR wakes this thread.
   */
  *waitForQueue(predicate: () => Guest<boolean>): Guest {
    for (;;) {
      if (yield* predicate()) return;
      yield* this.enableInterrupts();
      if (this.options.recheckAfterEnable && (yield* predicate())) {
        yield* this.disableInterrupts();
        return;
      }
      yield block();
    }
  }

  /** add_buf_wait: add_buf, sleeping until the completion thread frees room when the ring is full. */
  *addBufWait(sg: readonly BufferSegment[], cookie: T, self: Runner): Guest {
    while (!(yield* this.addBuf(sg, cookie))) {
      this.waiter = self;
      while (!this.availRingHasRoom(sg.length)) {
        while (!this.usedRingCanGc) yield block();
        yield* this.getBufGc();
      }
      this.waiter = null;
    }
  }

  /** Called by the completion thread after consuming used entries: wakes an add_buf_wait sleeper. */
  *wakeWaiter(): Guest {
    const waiter = this.waiter;
    if (waiter !== null) yield wake(waiter);
  }
}
