// A table of list nodes for the lock-free lists (queue_mpsc, unordered_queue_mpsc). OSv links
// intrusive nodes by pointer (a wait_record on the waiter's stack, say); the model names a node by a
// numeric id (0 = null), keeps its `next` pointer in a shared Cell and its payload in plain JS.

import type { Cell, Simulation } from "../../sim/index.js";

/** Id of the null node. */
export const NULL_NODE = 0;

export class NodeTable<T> {
  /** `next` cell of each node; index 0 is the null node and has none. */
  private readonly nextCells: (Cell | null)[] = [null];
  private readonly values: (T | undefined)[] = [undefined];
  /** Released ids, reused last-in first-out (deterministic). */
  private readonly free: number[] = [];
  private liveCount = 0;

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    /** The most nodes alive at once: exceeding it is a verdict, not unbounded growth. */
    readonly capacity: number,
  ) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1))
      throw new RangeError(`${name}: capacity must be a positive integer`);
  }

  /**
   * A fresh node holding `value`. Plain JS on purpose: in OSv the pusher builds the node in its own
   * memory (often its stack) before publishing it, so no other thread can see this step.
   */
  allocate(value: T): number {
    this.sim.assert(
      this.liveCount < this.capacity,
      `${this.name}-capacity`,
      () => `${this.name}: more than ${this.capacity} nodes alive`,
    );
    let id = this.free.pop();
    if (id === undefined) {
      id = this.nextCells.length;
      this.nextCells.push(this.sim.memory.cell(`${this.name}.node${id}.next`));
      this.values.push(undefined);
    }
    this.values[id] = value;
    this.liveCount++;
    return id;
  }

  /** Gives a node back once no thread can reach it any more (it was popped). */
  release(id: number): void {
    this.sim.assert(this.values[id] !== undefined, `${this.name}-double-release`, () => `node ${id}`);
    this.values[id] = undefined;
    this.free.push(id);
    this.liveCount--;
  }

  next(id: number): Cell {
    const cell = this.nextCells[id];
    if (cell == null) throw new RangeError(`${this.name}: no node ${id}`);
    return cell;
  }

  value(id: number): T {
    const value = this.values[id];
    if (value === undefined) throw new RangeError(`${this.name}: node ${id} is not alive`);
    return value;
  }

  get live(): number {
    return this.liveCount;
  }
}

/** Bound on compare-and-swap retry loops: a retry storm this long is a verdict, not a hang. */
export const MAX_CAS_RETRIES = 1_000_000;
