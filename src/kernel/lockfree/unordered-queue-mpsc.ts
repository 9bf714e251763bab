// lockfree::unordered_queue_mpsc (osv-internals.md §3.8): an intrusive stack that producers push
// onto with a CAS; the single consumer takes the whole stack at once with an exchange and walks it
// without reversing, so it sees the newest item first. Nodes are NodeTable ids, not pointers.

import { type Cell, cas, exchange, type Guest, load, type Simulation, store } from "../../sim/index.js";
import { MAX_CAS_RETRIES, NodeTable, NULL_NODE } from "./nodes.js";

export class UnorderedQueueMpsc<T> {
  readonly head: Cell;
  private readonly nodes: NodeTable<T>;

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    capacity = 4096,
  ) {
    this.head = sim.memory.cell(`${name}.head`);
    this.nodes = new NodeTable<T>(sim, name, capacity);
  }

  get size(): number {
    return this.nodes.live;
  }

  *push(value: T): Guest<void> {
    const node = this.nodes.allocate(value);
    const next = this.nodes.next(node);
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const head = yield load(this.head);
      yield store(next, head);
      if (yield* cas(this.head, head, node)) return;
    }
    this.sim.fail(`${this.name}-cas-retries`, `push retried ${MAX_CAS_RETRIES} times`);
  }

  /** Consumer only: takes every item, newest first (empty array when there are none). */
  *popAll(): Guest<T[]> {
    let node = yield exchange(this.head, NULL_NODE);
    const items: T[] = [];
    for (let walked = 0; node !== NULL_NODE; walked++) {
      this.sim.assert(walked < this.nodes.capacity, `${this.name}-list-bound`, "stack longer than capacity");
      const next = yield load(this.nodes.next(node));
      items.push(this.nodes.value(node));
      this.nodes.release(node);
      node = next;
    }
    return items;
  }

  *empty(): Guest<boolean> {
    return (yield load(this.head)) === NULL_NODE;
  }
}
