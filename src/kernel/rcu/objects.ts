// The heap behind RCU-protected pointers (rcu_ptr and rcu_dispose of include/osv/rcu.hh,
// core/rcu.cc; osv-internals.md §4). Cells hold safe integers, so an rcu_ptr<T> holds an object id
// and this table maps ids to the objects. rcu_dispose's callback frees an object by poisoning its
// entry (it stays in the table), so a late reader that dereferences it is caught at once
// ("rcu-use-after-free") instead of reading whatever the model would have left there. Plain JS: the
// ids travel through cells, which is where the races are; the table is the memory they point to.

import type { Simulation } from "../../sim/index.js";

interface Entry {
  value: unknown;
  readonly label: string;
  freedNs: number;
}

export class RcuObjects {
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  live = 0;
  freed = 0;

  constructor(
    private readonly sim: Simulation,
    /** Assert "rcu-use-after-free" on a dereference of a freed object. */
    private readonly checkUseAfterFree: boolean,
  ) {}

  /** new T: answers the id to publish through an rcu_ptr (never 0, which is nullptr). */
  allocate<T>(value: T, label: string): number {
    const id = this.nextId++;
    this.entries.set(id, { value, label, freedNs: -1 });
    this.live++;
    return id;
  }

  /** *p: the object behind `id`; `who` names the dereferencing thread for messages. */
  deref<T>(id: number, who: string): T {
    const entry = this.entries.get(id);
    if (entry === undefined)
      return this.sim.fail("rcu.bad-pointer", `${who} dereferenced unknown object ${id}`);
    if (this.checkUseAfterFree && entry.freedNs >= 0) {
      this.sim.fail(
        "rcu-use-after-free",
        `${who} dereferenced ${entry.label} (object ${id}), freed at ${entry.freedNs} ns`,
      );
    }
    return entry.value as T;
  }

  isFreed(id: number): boolean {
    return (this.entries.get(id)?.freedNs ?? -1) >= 0;
  }

  /** delete p: poisons the entry. */
  free(id: number, who: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) this.sim.fail("rcu.bad-pointer", `${who} freed unknown object ${id}`);
    this.sim.assert(
      entry.freedNs < 0,
      "rcu.double-free",
      () => `${who} freed ${entry.label} (object ${id}) again; first at ${entry.freedNs} ns`,
    );
    entry.freedNs = this.sim.now;
    this.live--;
    this.freed++;
  }
}
