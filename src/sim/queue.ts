// The engine's event queue: a priority queue in a strict total order — virtual time first, then a
// sequence number assigned when the event was scheduled — so equal-time events never depend on heap
// or sort stability. Three implementations sit behind one narrow interface: heap-js (the design's
// original choice, kept as the reference the contract test compares the others against), a binary
// heap over typed arrays, and the default, a timing wheel of 1 ns slots in front of that heap. The
// engine benchmark showed any heap at ~120 ns per pop+push with 1000 pending events, more than half
// of the per-event budget; the wheel makes near-future events O(1).

import { Heap } from "heap-js";

export interface EventQueue<T> {
  readonly size: number;
  /** Schedules `item` (with a numeric `arg`) at `timeNs`, tie-broken by `seq` (unique, increasing). */
  push(timeNs: number, seq: number, item: T, arg: number): void;
  /** Time of the earliest event; only valid when size > 0. */
  peekTime(): number;
  /** Time of the earliest event, or +Infinity when the queue is empty (one call for "due by t?"). */
  earliestTime(): number;
  /** Item and arg of the earliest event; only valid when size > 0. */
  peekItem(): T;
  peekArg(): number;
  /** Removes and returns the earliest event's item; only valid when size > 0. */
  pop(): T;
  /** Time, seq and arg of the item most recently returned by pop(). */
  readonly poppedTimeNs: number;
  readonly poppedSeq: number;
  readonly poppedArg: number;
}

export type QueueKind = "wheel" | "typed" | "heap-js";

export function createEventQueue<T>(kind: QueueKind = "wheel", capacityLimit = 1 << 24): EventQueue<T> {
  switch (kind) {
    case "wheel":
      return new WheelQueue<T>(capacityLimit);
    case "typed":
      return new TypedHeapQueue<T>(capacityLimit);
    case "heap-js":
      return new HeapJsQueue<T>(capacityLimit);
  }
}

/** Thrown when the queue would grow past its limit: a runaway model, reported as a budget verdict. */
export class QueueLimitError extends Error {
  override name = "QueueLimitError";
}

/** Binary min-heap with keys in parallel Float64Arrays; items in a plain array. */
export class TypedHeapQueue<T> implements EventQueue<T> {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private args = new Float64Array(1024);
  private items: (T | undefined)[] = new Array(1024);
  private count = 0;
  poppedTimeNs = 0;
  poppedSeq = 0;
  poppedArg = 0;

  constructor(private readonly capacityLimit: number) {}

  get size(): number {
    return this.count;
  }

  push(timeNs: number, seq: number, item: T, arg: number): void {
    if (this.count >= this.capacityLimit)
      throw new QueueLimitError(`event queue exceeded its limit of ${this.capacityLimit} pending events`);
    if (this.count === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const args = this.args;
    const items = this.items;
    let i = this.count++;
    // Sift up: move parents down until the new key's slot is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < timeNs || (pt === timeNs && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      args[i] = args[parent]!;
      items[i] = items[parent];
      i = parent;
    }
    times[i] = timeNs;
    seqs[i] = seq;
    args[i] = arg;
    items[i] = item;
  }

  peekTime(): number {
    return this.times[0]!;
  }
  earliestTime(): number {
    return this.count > 0 ? this.times[0]! : Number.POSITIVE_INFINITY;
  }
  /** Seq of the earliest event; only valid when size > 0. */
  peekSeq(): number {
    return this.seqs[0]!;
  }
  peekItem(): T {
    return this.items[0] as T;
  }
  peekArg(): number {
    return this.args[0]!;
  }

  pop(): T {
    const times = this.times;
    const seqs = this.seqs;
    const args = this.args;
    const items = this.items;
    const top = items[0] as T;
    this.poppedTimeNs = times[0]!;
    this.poppedSeq = seqs[0]!;
    this.poppedArg = args[0]!;
    const last = --this.count;
    const lt = times[last]!;
    const ls = seqs[last]!;
    const la = args[last]!;
    const li = items[last];
    items[last] = undefined;
    if (last === 0) return top;
    // Sift down the former last element from the root.
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let child = 2 * i + 1;
      const right = child + 1;
      if (right < last) {
        const ct = times[child]!;
        const rt = times[right]!;
        if (rt < ct || (rt === ct && seqs[right]! < seqs[child]!)) child = right;
      }
      const ct = times[child]!;
      if (lt < ct || (lt === ct && ls < seqs[child]!)) break;
      times[i] = ct;
      seqs[i] = seqs[child]!;
      args[i] = args[child]!;
      items[i] = items[child];
      i = child;
    }
    times[i] = lt;
    seqs[i] = ls;
    args[i] = la;
    items[i] = li;
    return top;
  }

  private grow(): void {
    // push() keeps count below the limit, so there is room for one more within it.
    const capacity = Math.min(this.times.length * 2, this.capacityLimit);
    const times = new Float64Array(capacity);
    times.set(this.times);
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    const args = new Float64Array(capacity);
    args.set(this.args);
    this.times = times;
    this.seqs = seqs;
    this.args = args;
    this.items.length = capacity;
  }
}

interface Entry<T> {
  timeNs: number;
  seq: number;
  item: T;
  arg: number;
}

/** heap-js with an explicit (time, seq) comparator: the reference implementation. */
export class HeapJsQueue<T> implements EventQueue<T> {
  private readonly heap = new Heap<Entry<T>>((a, b) => a.timeNs - b.timeNs || a.seq - b.seq);
  poppedTimeNs = 0;
  poppedSeq = 0;
  poppedArg = 0;

  constructor(private readonly capacityLimit: number) {}

  get size(): number {
    return this.heap.size();
  }

  push(timeNs: number, seq: number, item: T, arg: number): void {
    if (this.heap.size() >= this.capacityLimit) {
      throw new QueueLimitError(`event queue exceeded its limit of ${this.capacityLimit} pending events`);
    }
    this.heap.push({ timeNs, seq, item, arg });
  }

  peekTime(): number {
    return this.heap.peek()!.timeNs;
  }
  earliestTime(): number {
    return this.heap.size() > 0 ? this.heap.peek()!.timeNs : Number.POSITIVE_INFINITY;
  }
  peekItem(): T {
    return this.heap.peek()!.item;
  }
  peekArg(): number {
    return this.heap.peek()!.arg;
  }

  pop(): T {
    const entry = this.heap.pop()!;
    this.poppedTimeNs = entry.timeNs;
    this.poppedSeq = entry.seq;
    this.poppedArg = entry.arg;
    return entry.item;
  }
}

const WHEEL_SLOTS = 4096;
const WHEEL_MASK = WHEEL_SLOTS - 1;
const BITMAP_WORDS = WHEEL_SLOTS / 32;
/** WheelQueue.headAt: where the earliest event is, once found. */
const HEAD_UNKNOWN = -1;
const HEAD_FRONT = 0;
const HEAD_WHEEL = 1;
const HEAD_OVERFLOW = 2;

/**
 * A timing wheel of WHEEL_SLOTS one-nanosecond slots covering [baseNs, baseNs + WHEEL_SLOTS), each
 * slot a FIFO list, with a bitmap of non-empty slots; later events wait in a typed heap and move
 * into the wheel as soon as their slot enters the window, before any direct push can reach that
 * slot. So every slot's list is in seq order and popping its head keeps the (time, seq) order.
 *
 * In front of both sits one register holding the earliest event pushed since the last pop took it:
 * a push earlier than the register's event swaps places with it, any other push goes to the wheel,
 * and a pop takes whichever of the register and the wheel's head comes first. The common pattern of
 * a simulation with one busy CPU (push a compute's end, pop it, push the next) then never touches
 * the wheel's lists.
 */
export class WheelQueue<T> implements EventQueue<T> {
  private readonly head = new Int32Array(WHEEL_SLOTS).fill(-1);
  private readonly tail = new Int32Array(WHEEL_SLOTS).fill(-1);
  private readonly bitmap = new Uint32Array(BITMAP_WORDS);
  private next = new Int32Array(1024);
  private seqs = new Float64Array(1024);
  private args = new Float64Array(1024);
  private items: (T | undefined)[] = new Array<T | undefined>(1024).fill(undefined);
  private freeNode = -1;
  private nodesUsed = 0;
  private inWheel = 0;
  private baseNs = 0;
  private readonly overflow: TypedHeapQueue<T>;
  /** Slot found by the last search, valid until the wheel changes. */
  private foundSlot = -1;
  /** The front register: one event, earlier than every event pushed after it (see above). */
  private hasFront = false;
  private frontTimeNs = 0;
  private frontSeq = 0;
  private frontArg = 0;
  private frontItem: T | undefined = undefined;
  /** Events held (front register, wheel and overflow together). */
  private count = 0;
  /**
   * Where the earliest event is (HEAD_FRONT, HEAD_WHEEL, HEAD_OVERFLOW) and its time and seq, or
   * HEAD_UNKNOWN: found once after each pop and kept through pushes (a push is either later than it,
   * or earlier and then the new front), so the engine's repeated "is anything due?" costs no search.
   */
  private headAt = HEAD_UNKNOWN;
  private headNs = 0;
  private headSeq = 0;
  poppedTimeNs = 0;
  poppedSeq = 0;
  poppedArg = 0;

  constructor(private readonly capacityLimit: number) {
    this.overflow = new TypedHeapQueue<T>(capacityLimit);
  }

  get size(): number {
    return this.count;
  }

  push(timeNs: number, seq: number, item: T, arg: number): void {
    if (timeNs < this.baseNs)
      throw new RangeError(`event at ${timeNs} ns is before the queue's base ${this.baseNs} ns`);
    if (this.count >= this.capacityLimit)
      throw new QueueLimitError(`event queue exceeded its limit of ${this.capacityLimit} pending events`);
    // Earlier than every held event: it becomes the front (below) and the known head.
    const first =
      this.count === 0 ||
      (this.headAt !== HEAD_UNKNOWN &&
        (timeNs < this.headNs || (timeNs === this.headNs && seq < this.headSeq)));
    if (!this.hasFront) {
      this.setFront(timeNs, seq, item, arg);
    } else if (timeNs < this.frontTimeNs || (timeNs === this.frontTimeNs && seq < this.frontSeq)) {
      // The evicted event may have a lower seq than events already in its slot: it goes in by seq.
      this.pushBehind(this.frontTimeNs, this.frontSeq, this.frontItem as T, this.frontArg, true);
      this.setFront(timeNs, seq, item, arg);
    } else {
      this.pushBehind(timeNs, seq, item, arg, false);
    }
    this.count++;
    if (first) {
      this.headAt = HEAD_FRONT;
      this.headNs = timeNs;
      this.headSeq = seq;
    }
  }

  /** Finds where the earliest event is (the queue must not be empty); see headAt. */
  private locate(): number {
    if (this.headAt !== HEAD_UNKNOWN) return this.headAt;
    if (this.hasFront && this.frontFirst()) {
      this.headAt = HEAD_FRONT;
      this.headNs = this.frontTimeNs;
      this.headSeq = this.frontSeq;
    } else if (this.inWheel > 0) {
      const slot = this.findSlot();
      this.headAt = HEAD_WHEEL;
      this.headNs = this.slotTime(slot);
      this.headSeq = this.seqs[this.head[slot]!]!;
    } else {
      this.headAt = HEAD_OVERFLOW;
      this.headNs = this.overflow.peekTime();
      this.headSeq = this.overflow.peekSeq();
    }
    return this.headAt;
  }

  private setFront(timeNs: number, seq: number, item: T, arg: number): void {
    this.hasFront = true;
    this.frontTimeNs = timeNs;
    this.frontSeq = seq;
    this.frontItem = item;
    this.frontArg = arg;
  }

  /** Whether the front register holds the earliest event (it must hold one). */
  private frontFirst(): boolean {
    if (this.inWheel > 0) {
      const slot = this.findSlot();
      const timeNs = this.slotTime(slot);
      if (this.frontTimeNs !== timeNs) return this.frontTimeNs < timeNs;
      return this.frontSeq < this.seqs[this.head[slot]!]!;
    }
    const overflow = this.overflow;
    if (overflow.size === 0) return true;
    const timeNs = overflow.peekTime();
    if (this.frontTimeNs !== timeNs) return this.frontTimeNs < timeNs;
    return this.frontSeq < overflow.peekSeq();
  }

  /**
   * Pushes into the wheel, or the overflow heap beyond the wheel's window. `bySeq`: the event may be
   * older (lower seq) than some already in its slot, so it is inserted in seq order, not appended.
   */
  private pushBehind(timeNs: number, seq: number, item: T, arg: number, bySeq: boolean): void {
    if (timeNs - this.baseNs >= WHEEL_SLOTS) {
      this.overflow.push(timeNs, seq, item, arg);
      return;
    }
    if (bySeq) this.insertBySeq(timeNs & WHEEL_MASK, seq, item, arg);
    else this.append(timeNs & WHEEL_MASK, seq, item, arg);
  }

  /** Inserts into a slot's list before the first node with a higher seq (append if none). */
  private insertBySeq(slot: number, seq: number, item: T, arg: number): void {
    let before = -1;
    let node = this.head[slot]!;
    while (node >= 0 && this.seqs[node]! < seq) {
      before = node;
      node = this.next[node]!;
    }
    if (node < 0) {
      this.append(slot, seq, item, arg);
      return;
    }
    const fresh = this.allocNode(seq, item, arg);
    this.next[fresh] = node;
    if (before < 0) this.head[slot] = fresh;
    else this.next[before] = fresh;
    this.inWheel++;
    this.foundSlot = -1;
  }

  private allocNode(seq: number, item: T, arg: number): number {
    let node = this.freeNode;
    if (node >= 0) {
      this.freeNode = this.next[node]!;
    } else {
      if (this.nodesUsed === this.next.length) this.growNodes();
      node = this.nodesUsed++;
    }
    this.next[node] = -1;
    this.seqs[node] = seq;
    this.args[node] = arg;
    this.items[node] = item;
    return node;
  }

  private append(slot: number, seq: number, item: T, arg: number): void {
    const node = this.allocNode(seq, item, arg);
    const tail = this.tail[slot]!;
    if (tail < 0) {
      this.head[slot] = node;
      this.bitmap[slot >>> 5]! |= 1 << (slot & 31);
    } else {
      this.next[tail] = node;
    }
    this.tail[slot] = node;
    this.inWheel++;
    this.foundSlot = -1;
  }

  private growNodes(): void {
    const capacity = this.next.length * 2;
    if (capacity > this.capacityLimit * 2) {
      throw new QueueLimitError(`event queue exceeded its limit of ${this.capacityLimit} pending events`);
    }
    const next = new Int32Array(capacity);
    next.set(this.next);
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    const args = new Float64Array(capacity);
    args.set(this.args);
    this.next = next;
    this.seqs = seqs;
    this.args = args;
    const items = this.items;
    for (let i = items.length; i < capacity; i++) items.push(undefined);
  }

  /** The first non-empty slot at or after the base, circularly; the wheel must not be empty. */
  private findSlot(): number {
    if (this.foundSlot >= 0) return this.foundSlot;
    const bitmap = this.bitmap;
    const start = this.baseNs & WHEEL_MASK;
    let word = start >>> 5;
    let bits = bitmap[word]! & (0xffffffff << (start & 31));
    for (let scanned = 0; scanned <= BITMAP_WORDS; scanned++) {
      if (bits !== 0) {
        const slot = (word << 5) | (31 - Math.clz32(bits & -bits));
        this.foundSlot = slot;
        return slot;
      }
      word = (word + 1) & (BITMAP_WORDS - 1);
      bits = bitmap[word]!;
    }
    throw new Error("wheel queue: a non-empty wheel has no set bit");
  }

  private slotTime(slot: number): number {
    return this.baseNs + ((slot - this.baseNs) & WHEEL_MASK);
  }

  peekTime(): number {
    this.locate();
    return this.headNs;
  }
  earliestTime(): number {
    if (this.count === 0) return Number.POSITIVE_INFINITY;
    this.locate();
    return this.headNs;
  }
  peekItem(): T {
    const at = this.locate();
    if (at === HEAD_FRONT) return this.frontItem as T;
    if (at === HEAD_WHEEL) return this.items[this.head[this.findSlot()]!] as T;
    return this.overflow.peekItem();
  }
  peekArg(): number {
    const at = this.locate();
    if (at === HEAD_FRONT) return this.frontArg;
    if (at === HEAD_WHEEL) return this.args[this.head[this.findSlot()]!]!;
    return this.overflow.peekArg();
  }

  pop(): T {
    const at = this.locate();
    this.headAt = HEAD_UNKNOWN;
    this.count--;
    if (at === HEAD_FRONT) {
      const item = this.frontItem as T;
      const timeNs = this.frontTimeNs;
      this.hasFront = false;
      this.frontItem = undefined;
      this.poppedTimeNs = timeNs;
      this.poppedSeq = this.frontSeq;
      this.poppedArg = this.frontArg;
      // Every other event is later, so the window may start here (as after a pop from the wheel).
      if (timeNs !== this.baseNs) this.advanceBase(timeNs);
      return item;
    }
    if (at === HEAD_OVERFLOW) {
      // Jump the window to the overflow's earliest event and pull in what now fits.
      const timeNs = this.overflow.peekTime();
      this.advanceBase(timeNs);
    }
    const slot = this.findSlot();
    const timeNs = this.slotTime(slot);
    const node = this.head[slot]!;
    const after = this.next[node]!;
    this.head[slot] = after;
    if (after < 0) {
      this.tail[slot] = -1;
      this.bitmap[slot >>> 5]! &= ~(1 << (slot & 31));
      this.foundSlot = -1;
    }
    this.inWheel--;
    const item = this.items[node] as T;
    this.items[node] = undefined;
    this.poppedTimeNs = timeNs;
    this.poppedSeq = this.seqs[node]!;
    this.poppedArg = this.args[node]!;
    this.next[node] = this.freeNode;
    this.freeNode = node;
    if (timeNs !== this.baseNs) this.advanceBase(timeNs);
    return item;
  }

  /** Moves the window start to `timeNs` and migrates overflow events that now fall inside it. */
  private advanceBase(timeNs: number): void {
    this.baseNs = timeNs;
    this.foundSlot = -1;
    const overflow = this.overflow;
    const horizon = timeNs + WHEEL_SLOTS;
    while (overflow.size > 0 && overflow.peekTime() < horizon) {
      const item = overflow.pop();
      this.append(overflow.poppedTimeNs & WHEEL_MASK, overflow.poppedSeq, item, overflow.poppedArg);
    }
  }
}
