// A CPU's runqueue, ordered by OSv's thread_runtime_compare (osv-internals.md §2.4, core/sched.cc):
// real-time priority first (higher rt before lower), then lower local runtime first; equal keys keep
// insertion order — insertEqual puts a thread after its equals, insertFirstEqual before them (a
// preempted RT thread goes back to the front). OSv uses an rbtree; a sorted array has the same order
// and is small in practice. The queue is CPU-local state: only its own CPU touches it.

export interface Queueable {
  readonly name: string;
  /** Real-time priority, 0 for normal threads. */
  readonly realtime: number;
  /** Local runtime R'' (must not change while queued: bug e60ebaf3). */
  readonly runtimeKey: number;
}

/** a before b in OSv's order (neither before the other means equal keys). */
export function runsBefore(a: Queueable, b: Queueable): boolean {
  if (a.realtime > b.realtime) return true;
  if (b.realtime > 0) return false;
  return a.runtimeKey < b.runtimeKey;
}

export class Runqueue<T extends Queueable> {
  private readonly items: T[] = [];
  /** Each queued item's key when inserted, to catch a runtime modified while queued. */
  private readonly keys: number[] = [];

  constructor(
    /** Reports corruption (an invariant violation in a simulation). */
    private readonly fail: (check: string, message: string) => never = (check, message) => {
      throw new Error(`${check}: ${message}`);
    },
    readonly limit = 1 << 16,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** After all equals (enqueue). */
  insertEqual(item: T): void {
    let i = this.items.length;
    while (i > 0 && runsBefore(item, this.items[i - 1]!)) i--;
    this.insertAt(i, item);
  }

  /** Before all equals (enqueue_first_equal). */
  insertFirstEqual(item: T): void {
    let i = 0;
    while (i < this.items.length && runsBefore(this.items[i]!, item)) i++;
    this.insertAt(i, item);
  }

  private insertAt(index: number, item: T): void {
    if (this.items.length >= this.limit) throw new Error(`runqueue exceeded ${this.limit} threads`);
    if (this.items.includes(item)) throw new Error(`thread ${item.name} is already in the runqueue`);
    // Shifted by hand (splice allocates its result array on every call; this runs at every switch).
    const items = this.items;
    const keys = this.keys;
    for (let i = items.length; i > index; i--) {
      items[i] = items[i - 1]!;
      keys[i] = keys[i - 1]!;
    }
    items[index] = item;
    keys[index] = item.runtimeKey;
  }

  /** The head (lowest runtime); the queue must not be empty (bug 9f0ef3ef). */
  begin(): T {
    const head = this.items[0];
    if (head === undefined) throw new Error("runqueue.begin() on an empty runqueue");
    this.checkKey(0);
    return head;
  }

  erase(item: T): void {
    const index = this.items.indexOf(item);
    if (index < 0) throw new Error(`thread ${item.name} is not in the runqueue`);
    this.checkKey(index);
    const items = this.items;
    const keys = this.keys;
    for (let i = index + 1; i < items.length; i++) {
      items[i - 1] = items[i]!;
      keys[i - 1] = keys[i]!;
    }
    items.pop();
    keys.pop();
  }

  has(item: T): boolean {
    return this.items.includes(item);
  }

  /** Front to back. */
  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  /** Back to front (the load balancer scans from the largest runtime). */
  fromBack(): T[] {
    return [...this.items].reverse();
  }

  /** Renormalization rescales every queued runtime by the same factor, which keeps the order. */
  rescaled(): void {
    for (let i = 0; i < this.items.length; i++) this.keys[i] = this.items[i]!.runtimeKey;
  }

  private checkKey(index: number): void {
    const item = this.items[index]!;
    if (!Object.is(this.keys[index], item.runtimeKey)) {
      this.fail(
        "sched.queued-runtime",
        `runtime of queued thread ${item.name} changed from ${this.keys[index]} to ${item.runtimeKey} while in the runqueue`,
      );
    }
  }
}
