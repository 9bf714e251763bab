// lockfree::queue_mpsc (include/lockfree/queue-mpsc.hh, osv-internals.md §3.2): many producers push
// with a CAS onto `pushlist` (LIFO); the single consumer pops from `poplist`, refilling it by
// exchanging `pushlist` with null and reversing the taken list, so items pushed before that exchange
// come out oldest first. Differs from OSv: nodes are ids in a NodeTable instead of intrusive
// pointers, and a checker (plain JS, not model state) asserts that no two pops overlap. The planted
// mutant "refill-without-reverse" skips the reversal (not an OSv bug: it proves the FIFO checks bite).

import { type Cell, cas, exchange, type Guest, load, type Simulation, store } from "../../sim/index.js";
import { MAX_CAS_RETRIES, NodeTable, NULL_NODE } from "./nodes.js";

export type QueueMpscVariant = "correct" | "refill-without-reverse";

export interface QueueMpscOptions {
  /** The most items queued at once (default 4096). */
  capacity?: number;
  variant?: QueueMpscVariant;
}

export class QueueMpsc<T> {
  readonly pushlist: Cell;
  readonly poplist: Cell;
  private readonly nodes: NodeTable<T>;
  private readonly reverse: boolean;
  /** Checker state: a pop is in progress (OSv requires at most one at a time). */
  private popping = false;

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    options: QueueMpscOptions = {},
  ) {
    this.pushlist = sim.memory.cell(`${name}.pushlist`);
    this.poplist = sim.memory.cell(`${name}.poplist`);
    this.nodes = new NodeTable<T>(sim, name, options.capacity ?? 4096);
    this.reverse = (options.variant ?? "correct") === "correct";
  }

  /** Items allocated and not yet popped (checker view). */
  get size(): number {
    return this.nodes.live;
  }

  /** Pushes `value` (any thread): link the new node to the head, then CAS it in. */
  *push(value: T): Guest<void> {
    const node = this.nodes.allocate(value);
    const next = this.nodes.next(node);
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const head = yield load(this.pushlist);
      yield store(next, head);
      if (yield* cas(this.pushlist, head, node)) return;
    }
    this.sim.fail(`${this.name}-cas-retries`, `push retried ${MAX_CAS_RETRIES} times`);
  }

  /** Pops the oldest item (consumer only); undefined when the queue is empty. */
  *pop(): Guest<T | undefined> {
    this.sim.assert(!this.popping, "queue-mpsc-single-consumer", () => `${this.name}: two pops overlap`);
    this.popping = true;
    let node = yield load(this.poplist);
    if (node !== NULL_NODE) {
      yield store(this.poplist, yield load(this.nodes.next(node)));
    } else {
      node = yield* this.refill();
    }
    this.popping = false;
    if (node === NULL_NODE) return undefined;
    const value = this.nodes.value(node);
    this.nodes.release(node);
    return value;
  }

  /**
   * Takes the whole pushlist, reverses it, answers its oldest node and leaves the rest (oldest
   * next) in poplist. The taken nodes are the consumer's alone from the exchange on.
   */
  private *refill(): Guest<number> {
    let current = yield exchange(this.pushlist, NULL_NODE);
    if (!this.reverse) {
      // The mutant: hand out the newest node and keep the rest newest-first.
      if (current !== NULL_NODE) yield store(this.poplist, yield load(this.nodes.next(current)));
      return current;
    }
    let previous = NULL_NODE;
    for (let walked = 0; current !== NULL_NODE; walked++) {
      this.sim.assert(
        walked < this.nodes.capacity,
        `${this.name}-list-bound`,
        "pushlist longer than capacity",
      );
      const next = this.nodes.next(current);
      const following = yield load(next);
      yield store(next, previous);
      previous = current;
      current = following;
    }
    if (previous === NULL_NODE) return NULL_NODE;
    yield store(this.poplist, yield load(this.nodes.next(previous)));
    return previous;
  }

  /** Both heads null (any thread; only a snapshot while a consumer is active). */
  *empty(): Guest<boolean> {
    if ((yield load(this.pushlist)) !== NULL_NODE) return false;
    return (yield load(this.poplist)) === NULL_NODE;
  }

  /**
   * Visits queued items, poplist first then pushlist, until `visit` answers true; answers whether it
   * did. Only the consumer (or whoever excludes it, like a mutex owner) may iterate.
   */
  *find(visit: (value: T) => boolean): Guest<boolean> {
    for (const head of [this.poplist, this.pushlist]) {
      let node = yield load(head);
      for (let walked = 0; node !== NULL_NODE; walked++) {
        this.sim.assert(walked < this.nodes.capacity, `${this.name}-list-bound`, "list longer than capacity");
        if (visit(this.nodes.value(node))) return true;
        node = yield load(this.nodes.next(node));
      }
    }
    return false;
  }
}
