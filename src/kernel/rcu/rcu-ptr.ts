// rcu_ptr<T> (include/osv/rcu.hh; osv-internals.md §4) over one cell holding an object id (0 is
// nullptr; RcuObjects maps ids to objects). read() is the readers' acquire load inside
// rcu_read_lock, assign() the writer's release store, readByOwner() the writer's relaxed load under
// its own mutex. Under the engine's sequentially consistent memory all three are plain loads and
// stores; each is an interleaving point.

import { type Cell, type Guest, load, store } from "../../sim/index.js";
import type { Rcu } from "./rcu.js";

export class RcuPtr<T> {
  readonly cell: Cell;

  constructor(
    private readonly rcu: Rcu,
    readonly name: string,
    initial = 0,
  ) {
    this.cell = rcu.sim.memory.cell(name, initial);
  }

  /** read(): the id a reader may dereference until its rcu_read_unlock. */
  *read(): Guest<number> {
    const rcu = this.rcu;
    rcu.sim.assert(
      rcu.inReadSection(),
      "rcu.read-outside-section",
      () => `${this.name}.read() outside rcu_read_lock`,
    );
    return yield load(this.cell);
  }

  /** assign(p): publish a new object (the writer holds the writers' lock). */
  *assign(id: number): Guest<void> {
    yield store(this.cell, id);
  }

  /** read_by_owner(): the writer's view under its lock. */
  *readByOwner(): Guest<number> {
    return yield load(this.cell);
  }

  /** The object behind an id this thread read inside its current read-side section (null for 0). */
  deref(id: number): T | null {
    return id === 0 ? null : this.rcu.deref<T>(id);
  }

  /** The object behind an id read by the owner (null for 0). */
  derefByOwner(id: number): T | null {
    return id === 0 ? null : this.rcu.derefByOwner<T>(id);
  }
}
