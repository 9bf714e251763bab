// rcu_list (include/osv/rcu-list.hh; osv-internals.md §4): a singly linked list whose links are
// rcu_ptrs. Writers (by_owner) hold the list's lockfree::mutex and publish each change with one
// store: push_front links a new node before the head, replace links a copy in place of a node
// (copy-update: the copy's next is the old node's next, so a reader standing on the old node still
// walks a whole list), erase unlinks a node; replaced and erased nodes are rcu_disposed. Readers
// (for_read) walk under rcu_read_lock, dereferencing each node through the RCU object table, so a
// node freed too early is caught. Deliberate difference: OSv leaves the mutex to the caller; here the
// list owns one, and writer operations assert that the caller holds it.

import type { Guest } from "../../sim/index.js";
import { LockfreeMutex } from "../sync/index.js";
import type { Rcu } from "./rcu.js";
import { RcuPtr } from "./rcu-ptr.js";

export interface RcuListNode<T> {
  readonly value: T;
  readonly next: RcuPtr<RcuListNode<T>>;
}

export class RcuList<T> {
  readonly head: RcuPtr<RcuListNode<T>>;
  /** The writers' lock. */
  readonly mutex: LockfreeMutex;
  private nodes = 0;

  constructor(
    private readonly rcu: Rcu,
    readonly name: string,
    /** Longest walk before the list is declared corrupt (a cycle). */
    readonly maxLength = 10_000,
  ) {
    this.head = new RcuPtr(rcu, `${name}.head`);
    this.mutex = new LockfreeMutex(rcu.sim, rcu.kernel, `${name}.mutex`);
  }

  /** Fills an empty list before the run starts (host code: nothing can race yet). */
  initialize(values: readonly T[]): void {
    if (this.head.cell.value !== 0) throw new Error(`${this.name}: initialize() on a non-empty list`);
    let first = 0;
    for (let i = values.length - 1; i >= 0; i--) first = this.newNode(values[i]!, first);
    this.head.cell.value = first;
  }

  // ---- by_owner: the caller holds `mutex` --------------------------------------------------------

  /** push_front: answers the new node's id. */
  *pushFront(value: T): Guest<number> {
    this.assertOwner("push_front");
    const first = yield* this.head.readByOwner();
    const id = this.newNode(value, first);
    yield* this.head.assign(id);
    return id;
  }

  /**
   * Replaces the first node whose value matches with a copy holding `value`, and rcu_disposes the old
   * node. Answers the old node's id, or 0 when nothing matched.
   */
  *replace(matches: (value: T) => boolean, value: T): Guest<number> {
    this.assertOwner("replace");
    const found = yield* this.findByOwner(matches);
    if (found === null) return 0;
    const next = yield* found.node.next.readByOwner();
    yield* found.link.assign(this.newNode(value, next));
    yield* this.rcu.dispose(found.id, `${this.name} node`);
    return found.id;
  }

  /** erase: unlinks the first matching node and rcu_disposes it; answers its id, or 0. */
  *erase(matches: (value: T) => boolean): Guest<number> {
    this.assertOwner("erase");
    const found = yield* this.findByOwner(matches);
    if (found === null) return 0;
    yield* found.link.assign(yield* found.node.next.readByOwner());
    yield* this.rcu.dispose(found.id, `${this.name} node`);
    return found.id;
  }

  /** The first node whose value matches, with the link that points at it (the writer's walk). */
  private *findByOwner(matches: (value: T) => boolean) {
    let link = this.head;
    for (let steps = 0; ; steps++) {
      this.assertLength(steps);
      const id = yield* link.readByOwner();
      if (id === 0) return null;
      const node = link.derefByOwner(id)!;
      if (matches(node.value)) return { link, id, node };
      link = node.next;
    }
  }

  // ---- for_read: the caller is inside rcu_read_lock ------------------------------------------------

  /** Walks the list, calling `visit` on each value; answers how many nodes it visited. */
  *forRead(visit: (value: T) => Guest<void>): Guest<number> {
    let link = this.head;
    for (let steps = 0; ; steps++) {
      this.assertLength(steps);
      const id = yield* link.read();
      if (id === 0) return steps;
      // Dereference again after the visit: the node's `next` is read from the node's memory.
      yield* visit(link.deref(id)!.value);
      link = link.deref(id)!.next;
    }
  }

  private newNode(value: T, next: number): number {
    // The node is private until the publishing store, so its link starts with its value.
    const node: RcuListNode<T> = {
      value,
      next: new RcuPtr<RcuListNode<T>>(this.rcu, `${this.name}.node${++this.nodes}.next`, next),
    };
    return this.rcu.objects.allocate(node, `${this.name} node`);
  }

  private assertOwner(operation: string): void {
    const me = this.rcu.kernel.current();
    this.rcu.sim.assert(
      this.mutex.owner.value === me.id,
      "rcu.list-owner",
      () => `${me.name}: ${this.name}.${operation} without holding ${this.mutex.name}`,
    );
  }

  private assertLength(steps: number): void {
    this.rcu.sim.assert(
      steps <= this.maxLength,
      "rcu.list-length",
      () => `${this.name}: a walk passed ${this.maxLength} nodes (a cycle?)`,
    );
  }
}
